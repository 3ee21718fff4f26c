import ArgumentParser

/// The `vpp-gateway` command: the gateway itself and the tools around it.
@main
struct VPPGatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vpp-gateway",
        abstract: "An HTTP/JSON and Server-Sent Events gateway in front of FD.io VPP's binary API.",
        subcommands: servingCommands + [
            // One line per subcommand; each lives in its own file.
            DecodeCommand.self,
            EncodeCommand.self,
            SchemaCommand.self,
            SimulateCommand.self,
            CallCommand.self,
            OpenAPICommand.self,
        ])
}

extension VPPGatewayCommand {
    /// `serve` first, so `vpp-gateway --help` leads with it.
    static var servingCommands: [any ParsableCommand.Type] { [ServeCommand.self, TokenCommand.self] }
}
