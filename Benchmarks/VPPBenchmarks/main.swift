// vpp-benchmarks: speed benchmarks that print a table measured in one run.
//
//   vpp-benchmarks [SECTION...] [OPTIONS]      (see `vpp-benchmarks --help`)
//
// Each section is a case of `Section` (Sections.swift); `all` runs every section in order.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// A helper process that dies must not kill us with SIGPIPE; writes then fail and are reported.
signal(SIGPIPE, SIG_IGN)

// The simulator and gateway processes the client, http and sse sections start (ChildModes.swift).
if let status = ChildMode.runIfChild(Array(CommandLine.arguments.dropFirst())) { exit(status) }

let exitCode: Int32
do {
    switch try BenchmarkOptions.parse(Array(CommandLine.arguments.dropFirst())) {
    case .help:
        print(BenchmarkOptions.usage)
        exitCode = 0
    case .run(let options):
        if let nice = options.priority {
            if setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice) != 0 {
                printError("vpp-benchmarks: cannot set priority \(nice) (errno \(errno)); running at the default")
            } else {
                priorityKeeper.start(nice: nice)   // every thread, and the processes started later
            }
        }
        var allMet = true
        for (i, section) in options.sections.enumerated() {
            if i > 0 { print("") }
            let met = try section.run(options)
            allMet = allMet && met
        }
        exitCode = (options.strict && !allMet) ? 2 : 0
    }
} catch let error as UsageError {
    printError("vpp-benchmarks: \(error.message)\n\n\(BenchmarkOptions.usage)")
    exitCode = 64
} catch {
    printError("vpp-benchmarks: \(error)")
    exitCode = 1
}
priorityKeeper.restore()
exit(exitCode)
