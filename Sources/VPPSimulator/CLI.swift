/// The debug CLI behind `cli_inband`, for the commands a gateway demo needs.
///
/// VPP: vl_api_cli_inband_t_handler (src/vlibmemory/vlib_api.c:95-123) runs vlib_cli_input;
/// since 19.08 (commit 72d8758fdc2 "cli: Add return value in cli_inband") a failing command
/// returns retval -1 (clib errors carry code 0) with the error text as output, e.g.
/// "unknown input `foo'" (src/vlib/cli.c:670-676, 714-721). Words may be abbreviated to any
/// unique prefix, as in VPP (`sh int`).
struct CLI {
    let version: String

    /// Runs one command line; returns its output and retval.
    func run(_ line: String, interfaces: inout InterfaceTable) -> (output: String, retval: Int32) {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        guard !words.isEmpty else { return ("", 0) }
        let commands: [(path: [String], run: ([String], inout InterfaceTable) -> Result<String, CLIError>)] = [
            (["show", "version"], { _, _ in .success("vpp v\(version) built by root on vpp-simulator at \(SimulatorLoop.buildDate)\n") }),
            (["show", "interface"], { args, t in showInterface(args, t) }),
            (["set", "interface", "state"], { args, t in setState(args, &t) }),
            (["create", "loopback", "interface"], { args, t in createLoopback(args, &t) }),
            (["loopback", "create-interface"], { args, t in createLoopback(args, &t) }),
        ]
        // Walk the command tree word by word (vlib_cli_dispatch_sub_commands).
        var candidates = commands
        var depth = 0
        while depth < words.count {
            let w = words[depth].lowercased()
            let next = candidates.filter { depth < $0.path.count && $0.path[depth].hasPrefix(w) }
            let exact = next.filter { $0.path[depth] == w }
            let chosen = exact.isEmpty ? next : exact
            guard !chosen.isEmpty, Set(chosen.map { $0.path[depth] }).count == 1 else {
                let parent = depth == 0 ? nil : candidates.first.map { $0.path.prefix(depth).joined(separator: " ") }
                return fail(CLIError("unknown input `\(words[depth...].joined(separator: " "))'"), under: parent)
            }
            candidates = chosen
            depth += 1
            if let done = candidates.first(where: { $0.path.count == depth }) {
                switch done.run(Array(words[depth...]), &interfaces) {
                case .success(let text): return (text, 0)
                case .failure(let e): return fail(e, under: done.path.joined(separator: " "))
                }
            }
        }
        let path = candidates.first.map { $0.path.prefix(depth).joined(separator: " ") } ?? ""
        return ("\(path): no sub-commands\n", -1)
    }

    private func fail(_ e: CLIError, under path: String?) -> (String, Int32) {
        ((path.map { "\($0): " } ?? "") + e.text + "\n", -1)
    }

    /// VPP: show_sw_interfaces (src/vnet/interface_cli.c:258-470) with
    /// format_vnet_sw_interface (interface_format.c:407-425).
    private func showInterface(_ args: [String], _ t: InterfaceTable) -> Result<String, CLIError> {
        var selected: [SimInterface] = []
        var addresses = false
        for a in args {
            if let i = t.find(name: a) {
                selected.append(i)
            } else if "address".hasPrefix(a.lowercased()), a.count >= 4 {
                addresses = true
            } else if let n = UInt32(a) {
                guard let i = t.get(n) else { return .failure(CLIError("unknown interface index `\(n)'")) }
                selected.append(i)
            } else {
                return .failure(CLIError("unknown input `\(a)'"))
            }
        }
        if selected.isEmpty { selected = t.all.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) } }
        var out = ""
        if addresses {
            for i in selected {
                out += "\(i.name) (\(i.adminUp ? "up" : "dn")):\n"
                for a in i.addresses where !a.isIPv6 { out += "  L3 \(AddressFormat.text(a.address))/\(a.length)\n" }
                for a in i.addresses where a.isIPv6 { out += "  L3 \(AddressFormat.text(a.address))/\(a.length)\n" }
            }
            return .success(out)
        }
        out += center("Name", 32) + center("Idx", 5) + center("State", 10) + center("MTU (L3/IP4/IP6/MPLS)", 21)
            + center("Counter", 16) + center("Count", 16) + "\n"
        let indent = String(repeating: " ", count: 68)
        for i in selected {
            out += i.name.padding(32) + center(String(i.swIfIndex), 5) + center(i.adminUp ? "up" : "down", 10)
                + center(i.mtu.map(String.init).joined(separator: "/"), 21)
            var lines: [String] = []
            for (label, packets, bytes) in [("rx", i.rxPackets, i.rxBytes), ("tx", i.txPackets, i.txBytes)] where packets > 0 {
                lines.append("\(label) packets".padding(16) + String(packets).leftPadding(16))
                lines.append("\(label) bytes".padding(16) + String(bytes).leftPadding(16))
            }
            out += lines.joined(separator: "\n" + indent) + "\n"
        }
        return .success(out)
    }

    /// VPP: set_state (interface_cli.c:875-903).
    private func setState(_ args: [String], _ t: inout InterfaceTable) -> Result<String, CLIError> {
        guard let name = args.first, let iface = t.find(name: name) else {
            return .failure(CLIError("unknown interface `\(args.joined(separator: " "))'"))
        }
        let rest = args.dropFirst()
        guard rest.count == 1, let flag = rest.first?.lowercased(), flag == "up" || flag == "down" else {
            return .failure(CLIError("unknown flags `\(rest.joined(separator: " "))'"))
        }
        _ = t.setAdmin(iface.swIfIndex, up: flag == "up")
        return .success("")
    }

    /// VPP: create_simulated_ethernet_interfaces (ethernet/interface.c:872-905).
    private func createLoopback(_ args: [String], _ t: inout InterfaceTable) -> Result<String, CLIError> {
        var mac: [UInt8]?
        var instance: UInt32?
        var i = 0
        while i + 1 < args.count {
            if args[i] == "mac" {
                let parts = args[i + 1].split(separator: ":").compactMap { UInt8($0, radix: 16) }
                guard parts.count == 6 else { break }
                mac = parts
            } else if args[i] == "instance", let n = UInt32(args[i + 1]) {
                instance = n
            } else {
                break
            }
            i += 2
        }
        switch t.createLoopback(mac: mac, instance: instance) {
        case .success(let index): return .success((t.get(index)?.name ?? "") + "\n")
        case .failure: return .failure(CLIError("vnet_create_loopback_interface failed"))
        }
    }

    /// VPP's `%=Ns`: centred in N columns.
    private func center(_ s: String, _ width: Int) -> String {
        let n = s.count
        guard n < width else { return s }
        let left = (width - n) / 2
        return String(repeating: " ", count: left) + s + String(repeating: " ", count: width - n - left)
    }
}

/// A CLI command's error text.
struct CLIError: Error {
    let text: String
    init(_ text: String) { self.text = text }
}

extension String {
    /// `%-Ns`: left-aligned in N columns.
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    /// `%Ns`: right-aligned in N columns.
    func leftPadding(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

extension SimulatorLoop {
    /// VPP: vl_api_cli_inband_t_handler (vlib_api.c:95-123).
    func cliInband(_ r: Request) {
        let (output, retval) = CLI(version: config.version).run(r.view.variableString(), interfaces: &interfaces)
        guard var b = builder("cli_inband_reply", reserve: output.utf8.count) else { return }
        b.set("context", UInt64(r.context))
        b.set("retval", signed: Int64(retval))
        b.appendVariableString(output)
        reply(r, b)
    }
}
