import Testing
import VPPJSON
import VPPOpenAPI
import VPPSchema
import VPPTestSupport

/// The document as a whole: metadata, stability, the gateway's own endpoints, errors, examples.
@Suite struct DocumentTests {
    @Test func regeneratingGivesIdenticalText() throws {
        let first = OpenAPIGenerator(schema: try Fixtures.schema2606()).jsonText()
        // A second, independent load: dictionary order differs between instances.
        let reloaded = try SchemaLoader.load(paths: [SharedData.api2606])
        let second = OpenAPIGenerator(schema: reloaded).jsonText()
        #expect(first == second)
        #expect(try JSONParser.parse(first) == (try Fixtures.document2606()))
        let pretty = OpenAPIGenerator(schema: reloaded).jsonText(pretty: true)
        #expect(try JSONParser.parse(pretty) == (try JSONParser.parse(first)))
        #expect(pretty.hasPrefix("{\n  \"openapi\": \"3.1.0\",\n"))
    }

    @Test func pathsComponentsAndTagsAreSortedByName() throws {
        let doc = Doc(try Fixtures.document2606())
        let paths = try #require(doc.value["paths"]?.objectValue?.keys)
        #expect(paths == paths.sorted())
        let schemas = try #require(doc.value["components"]?["schemas"]?.objectValue?.keys)
        #expect(schemas == schemas.sorted())
        let tags = try #require(doc.value["tags"]?.arrayValue?.compactMap { $0["name"]?.stringValue })
        #expect(Set(tags).count == tags.count)
        let moduleTags = tags.filter { $0 != "event-streams" && $0 != "vpp-gateway" }
        #expect(moduleTags == moduleTags.sorted())
        #expect(moduleTags.contains("interface") && moduleTags.contains("gateway"))
    }

    @Test func infoCarriesTitleVersionsAndServer() throws {
        let schema = try Fixtures.schemaTestgovpp()
        let doc = OpenAPIGenerator(schema: schema, options: OpenAPIOptions(
            title: "Lab gateway", serverURL: "http://127.0.0.1:8080", vppVersion: "26.06-release")).document()
        #expect(doc["openapi"]?.stringValue == "3.1.0")
        #expect(doc["info"]?["title"]?.stringValue == "Lab gateway")
        #expect(doc["info"]?["version"]?.stringValue == "0.1.0")
        #expect(doc["info"]?["x-vpp-version"]?.stringValue == "26.06-release")
        #expect(doc["servers"]?.arrayValue?.first?["url"]?.stringValue == "http://127.0.0.1:8080")
        let plain = OpenAPIGenerator(schema: schema).document()
        #expect(plain["info"]?["title"]?.stringValue == "VPPGateway")
        #expect(plain["info"]?["x-vpp-version"] == nil)
        #expect(plain["servers"] == nil)
    }

    @Test func bearerAuthIsAnOptionalSecurityScheme() throws {
        let doc = Doc(try Fixtures.document2606())
        let scheme = try #require(doc.value["components"]?["securitySchemes"]?["bearerAuth"])
        #expect(scheme["type"]?.stringValue == "http")
        #expect(scheme["scheme"]?.stringValue == "bearer")
        let security = try #require(doc.value["security"]?.arrayValue)
        #expect(security.contains(.object(JSONObject())))
        #expect(security.contains { $0["bearerAuth"] != nil })
        // The query-parameter token is for event streams only, not a document-wide choice.
        #expect(!security.contains { $0["accessToken"] != nil })
        let query = try #require(doc.value["components"]?["securitySchemes"]?["accessToken"])
        #expect(query["in"]?.stringValue == "query" && query["name"]?.stringValue == "access_token")
    }

    @Test func errorsAreProblemDetailsWithTheDocumentedStatuses() throws {
        let doc = Doc(try Fixtures.document2606())
        let problem = try #require(doc.component("Problem"))
        #expect(problem["properties"]?.objectValue?.keys == ["type", "title", "status", "detail", "instance", "pointer",
                                                            "retval", "error", "reply", "request_id"])
        let responses = try #require(doc.value["components"]?["responses"])
        for name in ["BadRequest", "Unauthorized", "Forbidden", "NotFound", "MethodNotAllowed", "PayloadTooLarge",
                     "VPPError", "NotOffered", "NotConnected", "Timeout"] {
            #expect(Doc.refName(responses[name]?["content"]?["application/problem+json"]?["schema"]) == "Problem", "\(name)")
        }
        let post = try #require(doc.operation("/v1/sw_interface_set_flags", "post")?["responses"]?.objectValue)
        #expect(post.keys == ["200", "400", "401", "403", "413", "422", "501", "503", "504"])
        #expect(Doc.refName(post["422"]) == "VPPError")
    }

    @Test func theGatewaysOwnEndpointsAreDescribed() throws {
        let doc = Doc(try Fixtures.document2606())
        let decode = try #require(doc.operation("/v1/decode", "post"))
        #expect(decode["requestBody"]?["content"]?["application/octet-stream"] != nil)
        #expect(decode["parameters"]?.arrayValue?.first?["name"]?.stringValue == "message")
        // One message with ?message=, else an array of messages and DecodeErrors.
        let decoded = try #require(decode["responses"]?["200"]?["content"]?["application/json"]?["schema"]?["oneOf"]?.arrayValue)
        #expect(Doc.refName(decoded.first) == "Message")
        #expect(decoded.last?["items"]?["anyOf"]?.arrayValue?.compactMap { Doc.refName($0) } == ["Message", "DecodeError"])
        let encode = try #require(doc.operation("/v1/encode/{message}", "post"))
        #expect(encode["responses"]?["200"]?["content"]?["application/octet-stream"] != nil)
        for path in ["/v1/schema", "/v1/schema/{name}", "/openapi.json", "/healthz", "/readyz", "/metrics"] {
            #expect(doc.operation(path, "get") != nil, "\(path)")
        }
        #expect(doc.operation("/metrics", "get")?["responses"]?["200"]?["content"]?["text/plain"] != nil)
        #expect(doc.operation("/readyz", "get")?["responses"]?["503"] != nil)
    }

    @Test func summariesComeFromTheDocComments() throws {
        let doc = Doc(try Fixtures.document2606())
        let flags = try #require(doc.operation("/v1/sw_interface_set_flags", "post"))
        #expect(flags["summary"]?.stringValue == "Set flags on the interface")
        #expect(doc.property("sw_interface_set_flags", "sw_if_index")?["description"]?.stringValue
            == "index of the interface to set flags on")
        // No comment: a summary is still given.
        #expect(doc.operation("/v1/cli_inband", "post")?["summary"]?.stringValue == "Call cli_inband")
    }

    @Test func theCommonOperationsHaveExamplesThatUseTheirFields() throws {
        let doc = Doc(try Fixtures.document2606())
        let schema = try Fixtures.schema2606()
        let setFlags = doc.operation("/v1/sw_interface_set_flags", "post")?["requestBody"]?["content"]?["application/json"]?["example"]
        #expect(setFlags?["flags"]?.stringArray == ["IF_STATUS_API_FLAG_ADMIN_UP"])
        let address = doc.operation("/v1/sw_interface_add_del_address", "post")?["requestBody"]?["content"]?["application/json"]?["example"]
        #expect(address?["prefix"]?.stringValue == "10.0.0.1/24")
        #expect(doc.operation("/v1/cli_inband", "post")?["requestBody"]?["content"]?["application/json"]?["example"]?["cmd"]?.stringValue == "show version")
        let version = try #require(doc.operation("/v1/show_version", "get")?["responses"]?["200"]?["content"]?["application/json"]?["example"])
        #expect(version["_crc"]?.stringValue == schema.message("show_version_reply")?.crc)
        #expect(version["program"]?.stringValue == "vpe")
        let details = try #require(doc.operation("/v1/sw_interface_dump", "get")?["responses"]?["200"]?["content"]?["application/json"]?["example"]?.arrayValue)
        #expect(details.count == 2)
        // Complete canonical objects: exactly the properties of the component, in order.
        let keys = doc.component("sw_interface_details")?["properties"]?.objectValue?.keys
        #expect(details.allSatisfy { $0.objectValue?.keys == keys })
        #expect(details[1]["interface_name"]?.stringValue == "loop0")
    }

    @Test func docCommentsLoseTheirMarkersAndKeepTheirParameters() {
        let c = DocComment("/** \\brief Set flags on the interface\n    @param client_index - opaque cookie\n    @param flags - interface_status flags\n        (only ADMIN_UP used in config)\n*/")
        #expect(c.summary == "Set flags on the interface")
        #expect(c.body == "")
        #expect(c.parameters["flags"] == "interface_status flags (only ADMIN_UP used in config)")
        #expect(c.parameters["client_index"] == "opaque cookie")
        let multi = DocComment("/*\n * Dump interfaces.\n *\n * Every interface, or one.\n */")
        #expect(multi.summary == "Dump interfaces.")
        #expect(multi.body == "Every interface, or one.")
        #expect(DocComment(nil).summary.isEmpty)
    }
}
