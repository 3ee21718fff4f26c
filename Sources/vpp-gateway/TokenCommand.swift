import ArgumentParser
import Gateway

/// `vpp-gateway token`: makes a bearer token and the line that grants it.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create a bearer token and print the tokens-file line that grants it.",
        discussion: """
            The token is printed once, on standard error (so that redirecting standard output to \
            the tokens file stores only the line); the tokens file stores only its SHA-256, so \
            keep the token somewhere safe. Append the line to the file given to `serve --tokens-file` \
            and send the server SIGHUP to load it.

            Scopes: read (GET calls, dumps, schema, OpenAPI, metrics), write (POST requests), \
            events (SSE), admin (cli_inband, decode, encode, and everything else).

            Example:
              vpp-gateway token --name monitoring --scopes read,events >> /etc/vpp-gateway/tokens.new
            """)

    @Option(help: "A name for the token, shown in logs.")
    var name: String

    @Option(help: "Comma-separated scopes: read, write, events, admin.")
    var scopes: String = "read"

    func run() throws {
        var list: [Scope] = []
        for s in scopes.split(separator: ",") {
            guard let scope = Scope(rawValue: String(s)) else { throw ValidationError("unknown scope \(s)") }
            list.append(scope)
        }
        guard !name.isEmpty, !name.contains(where: \.isWhitespace) else { throw ValidationError("--name must be one word") }
        let token = TokenStore.generateToken()
        StandardError.print("token (shown once): \(token)")
        print(TokenStore.line(token: token, name: name, scopes: list))
    }
}
