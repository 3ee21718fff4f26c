@testable import Gateway
import Testing

/// Request paths to routes: every route, trailing slashes, and paths that match nothing.
@Suite struct RouteTests {
    @Test func pathsMatchTheirRoutes() {
        let cases: [(String, Route)] = [
            ("/", .index), ("", .notFound), ("//", .index), ("/healthz", .healthz), ("/healthz/", .healthz),
            ("/readyz", .readyz), ("/metrics", .metrics), ("/openapi.json", .openAPI),
            ("/v1/schema", .schemaList), ("/v1/schema/show_version", .schemaItem("show_version")),
            ("/v1/decode", .decode), ("/v1/encode/show_version", .encode("show_version")),
            ("/v1/events", .events(nil)), ("/v1/events/sw_interface_event", .events("sw_interface_event")),
            ("/v1/show_version", .message("show_version")), ("/v1/show_version/", .message("show_version")),
            ("/v1/", .notFound), ("/v2/show_version", .notFound), ("/nope", .notFound),
            ("/v1/events/a/b", .notFound), ("/v1/schema/", .schemaList), ("/v1/schema//", .schemaList),
            ("/v1/encode/", .message("encode")), ("/v1/other/x", .notFound), ("/v1/a/b/c/d/e", .notFound),
            ("/v1//x", .notFound), ("/v1/é", .message("é")),
        ]
        for (path, route) in cases {
            #expect(Route(path: path) == route, "\(path)")
        }
    }
}
