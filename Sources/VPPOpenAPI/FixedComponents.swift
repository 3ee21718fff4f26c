import VPPJSON

/// The parts of the document that do not depend on the schema: the gateway's own endpoints,
/// the problem type, the error responses and the texts.
enum FixedComponents {
    static let eventsTag = "event-streams"
    static let gatewayTag = "vpp-gateway"

    /// Schema component names used here (kept clear of VPP type and message names).
    static let names: Set<String> = ["Problem", "Message", "MessageInput", "Health", "SchemaIndex", "SchemaEntry", "DecodeError"]

    /// The response component of each error status.
    static let responseNames: [Int: String] = [
        400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
        413: "PayloadTooLarge", 422: "VPPError", 501: "NotOffered", 503: "NotConnected", 504: "Timeout",
    ]

    static let infoDescription = """
        Every VPP API message of the loaded .api.json schema over HTTP, in VPP's canonical JSON: \
        `_msgname`, `_crc`, then the fields in declaration order, without the header fields \
        `_vl_msg_id`, `client_index` and `context`. u64 and i64 values are exact JSON integers; f64 \
        values are JSON numbers; u8 arrays are "0x…" hex; addresses, prefixes and MACs are text; \
        enums are member names (an unnamed value is its integer); flag sets are arrays of names.

        * `POST /v1/{request}`: the request's fields as a JSON object (all optional: a missing \
        field takes its .api.json default, else zero); the answer is the reply. Read-only \
        requests (`show_*`, `get_*`, `*_get*`) also answer `GET` with the fields as query parameters.
        * `GET` or `POST /v1/{dump}`: dump and get/stream calls answer every details item, as a \
        JSON array or, with `Accept: application/x-ndjson`, one object per line, streamed as \
        they arrive. The gateway follows get/stream cursors itself.
        * `GET /v1/events/{event}`: a Server-Sent Events stream of one event type; \
        `GET /v1/events?name=a&name=b` multiplexes several. The gateway owns the `want_*` \
        registrations, so those messages are not offered as calls, nor are memclnt's transport \
        messages; events enabled by a configuration call rather than a `want_*` message have \
        no stream.
        * Errors are `application/problem+json` (RFC 9457, schema `Problem`): 400 malformed JSON \
        or field (`pointer` names it), 404 unknown message, 405 wrong method, 413 body too large, \
        422 VPP answered a non-zero retval (`retval`, `error`, `reply`), 501 message not offered \
        by the connected VPP (missing or CRC mismatch), 503 VPP not connected, 504 VPP did not \
        answer in time; 401 and 403 when authentication is on.

        Operation ids are the message names (`<name>_get` for the GET form, `events_<event>` for \
        streams); tags are the API modules; `x-vpp-crc` gives each message's CRC.
        """

    static let sseDescription = """
        Framing: each VPP event is one SSE event with `id:` a per-stream monotonic sequence number, \
        `event:` the message name and `data:` the event in canonical JSON on one line. Control \
        events, with a JSON object as data: `vpp-disconnected` (the gateway lost VPP, or a stream \
        opened while VPP is away starts with it: the registration is made when VPP connects), \
        `vpp-connected` (VPP is back and the registration renewed: events may have been missed, \
        resynchronise), `overflow` (this subscriber was too slow and events were dropped; data \
        gives how many), `gap` (the Last-Event-ID asked for is older than the replay ring, \
        `reason` too-old, or not an id this gateway gave out, `reason` unknown-id), \
        `registration-failed` (after a reconnect VPP refused the registration again, e.g. its plugin \
        is gone; the stream ends, and reconnecting reports the failure as an HTTP error) and \
        `shutdown` (the gateway is stopping; the stream ends). A comment line is sent as a \
        heartbeat every 15 s. Reconnecting with `Last-Event-ID` replays the events after it that \
        are still in the ring.

        The response `schema` describes one event of the stream (its `event`, `id` and `data` \
        fields, `data` holding JSON): what OpenAPI 3.2 calls `itemSchema`, and how tools read the \
        `schema` of an event stream before 3.2.
        """

    /// The control events every stream may carry besides VPP's events.
    static let controlEventNames = ["vpp-disconnected", "vpp-connected", "overflow", "gap", "registration-failed", "shutdown"]

    /// The schema of one event of a stream (see `sseDescription`): VPP's `event` with its
    /// message's schema as the JSON in `data`, or a control event. With no name (the
    /// multiplexed stream), any event name and any JSON object.
    static func sseEvent(_ name: String?) -> JSONValue {
        let framing = "One Server-Sent Event of this stream: `event` names it, `data` holds its JSON, `id` is its sequence number (VPP's events only)."
        guard let name else {
            return object([
                ("type", str("object")), ("description", str(framing)), ("required", strings(["event", "data"])),
                ("properties", object([
                    ("event", object([("type", str("string"))])),
                    ("id", object([("type", str("string"))])),
                    ("data", object([("type", str("string")), ("contentMediaType", str("application/json"))])),
                ])),
            ])
        }
        return object([
            ("description", str(framing)),
            ("oneOf", .array([
                object([
                    ("type", str("object")), ("required", strings(["event", "data"])),
                    ("properties", object([
                        ("event", object([("type", str("string")), ("const", str(name))])),
                        ("id", object([("type", str("string")), ("description", str("Per-stream monotonic sequence number."))])),
                        ("data", object([("type", str("string")), ("contentMediaType", str("application/json")),
                                         ("contentSchema", ref(name))])),
                    ])),
                ]),
                ref("SSEControlEvent"),
            ])),
        ])
    }

    static func problemContent() -> JSONValue {
        object([("application/problem+json", object([("schema", ref("Problem"))]))])
    }

    static var responses: JSONValue {
        let texts: [(String, String)] = [
            ("BadRequest", "Malformed JSON, or a field of the wrong type or out of range (`pointer` names it), or a bad query parameter."),
            ("Unauthorized", "Authentication is on and no valid bearer token was given."),
            ("Forbidden", "The token may not use this message or endpoint."),
            ("NotFound", "No such message in the loaded schema."),
            ("MethodNotAllowed", "The path exists but not with this method (Allow lists the methods)."),
            ("PayloadTooLarge", "The request body is larger than the gateway accepts."),
            ("VPPError", "VPP answered with a non-zero retval: `retval`, its VPP error name in `error` and the decoded reply in `reply`."),
            ("NotOffered", "The connected VPP does not offer this message (it is missing from its message table, or its CRC differs from the schema's)."),
            ("NotConnected", "The gateway is not connected to VPP."),
            ("Timeout", "VPP did not answer in time."),
        ]
        return object(texts.sorted { $0.0 < $1.0 }.map { name, text in
            (name, object([("description", str(text)), ("content", problemContent())]))
        })
    }

    static var parameters: JSONValue {
        object([
            ("LastEventID", object([
                ("name", str("Last-Event-ID")),
                ("in", str("header")),
                ("required", .bool(false)),
                ("description", str("Resume after this event id: the events after it still in the replay ring are sent first; an id older than the ring gets a `gap` event.")),
                ("schema", object([("type", str("string"))])),
            ])),
            ("LastEventIDQuery", object([
                ("name", str("last_event_id")),
                ("in", str("query")),
                ("required", .bool(false)),
                ("description", str("The same as the Last-Event-ID header, for clients that cannot set headers; the header wins.")),
                ("schema", object([("type", str("string")), ("pattern", str("^[0-9]{0,20}$"))])),
            ])),
        ])
    }

    static var schemas: [(String, JSONValue)] {
        [
            ("Problem", object([
                ("type", str("object")),
                ("description", str("RFC 9457 problem details.")),
                ("required", strings(["type", "title", "status"])),
                ("properties", object([
                    ("type", object([("type", str("string")), ("format", str("uri-reference")),
                                     ("description", str("A stable URI that identifies the kind of problem."))])),
                    ("title", object([("type", str("string")), ("description", str("A short summary of the kind of problem."))])),
                    ("status", object([("type", str("integer")), ("minimum", int(100)), ("maximum", int(599)),
                                       ("description", str("The HTTP status code."))])),
                    ("detail", object([("type", str("string")), ("description", str("What went wrong in this occurrence."))])),
                    ("instance", object([("type", str("string")), ("format", str("uri-reference")),
                                         ("description", str("The request path of this occurrence."))])),
                    ("pointer", object([("type", str("string")),
                                        ("description", str("JSON pointer (RFC 6901) of the offending field in the request, e.g. /flags/0."))])),
                    ("retval", object([("type", str("integer")), ("minimum", int(Int32.min)), ("maximum", int(Int32.max)),
                                       ("description", str("VPP's retval (422)."))])),
                    ("error", object([("type", str("string")),
                                      ("description", str("VPP's name of the retval without VNET_API_ERROR_, e.g. INVALID_SW_IF_INDEX (422)."))])),
                    ("reply", object([("type", str("object")), ("additionalProperties", .bool(true)),
                                      ("description", str("The decoded reply in canonical JSON (422)."))])),
                    ("request_id", object([("type", str("string")), ("description", str("The gateway's id of the request, as in its logs."))])),
                ])),
                ("additionalProperties", .bool(true)),
            ])),
            ("SSEControlEvent", object([
                ("type", str("object")),
                ("description", str("A control event of an event stream (see the stream's description).")),
                ("required", strings(["event", "data"])),
                ("properties", object([
                    ("event", object([("type", str("string")), ("enum", strings(controlEventNames))])),
                    ("id", object([("type", str("string")), ("description", str("Not sent; readers repeat the last event's id."))])),
                    ("data", object([("type", str("string")), ("contentMediaType", str("application/json")),
                                     ("contentSchema", ref("SSEControl"))])),
                ])),
            ])),
            ("SSEControl", object([
                ("type", str("object")),
                ("description", str("The data of a control event: `reason` (vpp-disconnected, registration-failed, gap), `resync` (vpp-connected), `dropped` (overflow), `last_event_id` and `oldest_available` (gap); shutdown has none.")),
                ("properties", object([
                    ("reason", object([("type", str("string"))])),
                    ("resync", object([("type", str("boolean"))])),
                    ("dropped", object([("type", str("integer")), ("minimum", int(1))])),
                    ("last_event_id", object([("type", str("integer")), ("minimum", int(0))])),
                    ("oldest_available", object([("type", strings(["integer", "null"])), ("minimum", int(0))])),
                ])),
                ("additionalProperties", .bool(false)),
            ])),
            ("Message", object([
                ("type", str("object")),
                ("description", str("Any VPP message in canonical JSON; components named after each message give the exact fields.")),
                ("required", strings(["_msgname", "_crc"])),
                ("properties", object([
                    ("_msgname", object([("type", str("string"))])),
                    ("_crc", object([("type", str("string")), ("pattern", str("^[0-9a-f]{8}$"))])),
                ])),
                ("additionalProperties", .bool(true)),
            ])),
            ("DecodeError", object([
                ("type", str("object")),
                ("description", str("Stands in the decode answer for a record that could not be decoded, so one bad record does not hide the rest.")),
                ("required", strings(["_error"])),
                ("properties", object([
                    ("_error", object([
                        ("type", str("object")),
                        ("required", strings(["index", "kind", "detail"])),
                        ("properties", object([
                            ("index", object([("type", str("integer")), ("minimum", int(0))])),
                            ("message_id", object([("type", str("integer")), ("minimum", int(0)), ("maximum", int(65535))])),
                            ("message", object([("type", str("string"))])),
                            ("kind", object([("type", str("string"))])),
                            ("detail", object([("type", str("string"))])),
                        ])),
                    ])),
                ])),
            ])),
            ("MessageInput", object([
                ("type", str("object")),
                ("description", str("The fields of a message (all optional) as a request reads them; `_msgname` and `_crc` are optional and must match when given. Components named after each message give the exact fields.")),
                ("properties", object([
                    ("_msgname", object([("type", str("string"))])),
                    ("_crc", object([("type", str("string")), ("pattern", str("^[0-9a-f]{8}$"))])),
                ])),
                ("additionalProperties", .bool(true)),
            ])),
            ("Health", object([
                ("type", str("object")),
                ("description", str("Liveness or readiness.")),
                ("required", strings(["status"])),
                ("properties", object([
                    ("status", object([("type", str("string")), ("description", str("ok, ready, or why not."))])),
                ])),
                ("additionalProperties", .bool(true)),
            ])),
            ("SchemaIndex", object([
                ("type", str("object")),
                ("description", str("The loaded schema: its messages with kind and CRC and whether the connected VPP offers them, its types and modules.")),
                ("additionalProperties", .bool(true)),
            ])),
            ("SchemaEntry", object([
                ("type", str("object")),
                ("description", str("One message or type of the loaded schema: its fields, CRC, service and availability on the connected VPP.")),
                ("additionalProperties", .bool(true)),
            ])),
        ]
    }

    private static func errors(_ codes: [Int]) -> [(String, JSONValue?)] {
        codes.compactMap { code in responseNames[code].map { (String(code), ref($0, section: "responses")) } }
    }

    private static func operation(_ id: String, tag: String = gatewayTag, summary: String, description: String? = nil,
                                  parameters: [JSONValue] = [], requestBody: JSONValue? = nil,
                                  success: JSONValue, errorCodes: [Int]) -> JSONValue {
        object([
            ("tags", strings([tag])),
            ("summary", str(summary)),
            ("description", description.map { str($0) }),
            ("operationId", str(id)),
            ("parameters", parameters.isEmpty ? nil : .array(parameters)),
            ("requestBody", requestBody),
            ("responses", object([("200", success)] + errors(errorCodes))),
        ])
    }

    private static func json(_ description: String, _ schema: JSONValue) -> JSONValue {
        object([("description", str(description)), ("content", object([("application/json", object([("schema", schema)]))]))])
    }

    private static let binary = object([("type", str("string")), ("format", str("binary")),
                                        ("contentMediaType", str("application/octet-stream"))])

    static func paths(eventNames: [String]) -> [(String, JSONValue)] {
        [
            ("/v1/decode", object([("post", operation(
                "gateway_decode", summary: "Decode binary messages or an API trace file to canonical JSON",
                description: "The body is one binary message starting with its 2-byte _vl_msg_id (read with the connected VPP's message table), or an API trace file as `api trace save` writes it. With `message`, the bytes are decoded as that message whatever their id.",
                parameters: [object([
                    ("name", str("message")), ("in", str("query")), ("required", .bool(false)),
                    ("description", str("Decode the body as this message.")),
                    ("schema", object([("type", str("string"))])),
                ])],
                requestBody: object([("required", .bool(true)),
                                     ("content", object([("application/octet-stream", object([("schema", binary)]))]))]),
                success: json("With `message`: the decoded message. Otherwise the decoded messages in order, a `DecodeError` in place of each record that could not be decoded.",
                              object([("oneOf", .array([
                                  ref("Message"),
                                  object([("type", str("array")),
                                          ("items", object([("anyOf", .array([ref("Message"), ref("DecodeError")]))]))]),
                              ]))])),
                errorCodes: [400, 401, 403, 404, 413]))])),
            ("/v1/encode/{message}", object([("post", operation(
                "gateway_encode", summary: "Encode a message's JSON to its binary form",
                description: "The body is the message's JSON (as for its POST operation: missing fields take their defaults); the answer is the binary message starting with its 2-byte _vl_msg_id: `msg_id`, else the connected VPP's id, else memclnt's fixed one (other ids exist only on a running VPP).",
                parameters: [
                    object([
                        ("name", str("message")), ("in", str("path")), ("required", .bool(true)),
                        ("description", str("The message name.")), ("schema", object([("type", str("string"))])),
                    ]),
                    object([
                        ("name", str("format")), ("in", str("query")), ("required", .bool(false)),
                        ("description", str("`binary` (default) or `hex`: lowercase hex and a newline, as text/plain.")),
                        ("schema", object([("type", str("string")), ("enum", .array([str("binary"), str("hex")]))])),
                    ]),
                    object([
                        ("name", str("msg_id")), ("in", str("query")), ("required", .bool(false)),
                        ("description", str("The _vl_msg_id to write.")),
                        ("schema", object([("type", str("integer")), ("minimum", .number(JSONNumber(integer: 0))), ("maximum", .number(JSONNumber(integer: 65535)))])),
                    ]),
                    object([
                        ("name", str("context")), ("in", str("query")), ("required", .bool(false)),
                        ("description", str("The context to write, where the message has one.")),
                        ("schema", object([("type", str("integer")), ("minimum", .number(JSONNumber(integer: 0))), ("maximum", .number(JSONNumber(integer: 4294967295)))])),
                    ]),
                    object([
                        ("name", str("client_index")), ("in", str("query")), ("required", .bool(false)),
                        ("description", str("The client_index to write, where the message has one.")),
                        ("schema", object([("type", str("integer")), ("minimum", .number(JSONNumber(integer: 0))), ("maximum", .number(JSONNumber(integer: 4294967295)))])),
                    ]),
                ],
                requestBody: object([("required", .bool(false)),
                                     ("content", object([("application/json", object([("schema", ref("MessageInput"))]))]))]),
                success: object([("description", str("The binary message (or its hex with format=hex).")),
                                 ("content", object([("application/octet-stream", object([("schema", binary)])),
                                                     ("text/plain", object([("schema", object([("type", str("string")), ("pattern", str("^([0-9a-f]{2})+\\n$"))]))]))]))]),
                errorCodes: [400, 401, 403, 404, 413, 501, 503]))])),
            ("/v1/schema", object([("get", operation(
                "gateway_schema", summary: "The loaded schema",
                success: json("Messages, types and modules.", ref("SchemaIndex")), errorCodes: [401, 403]))])),
            ("/v1/schema/{name}", object([("get", operation(
                "gateway_schema_entry", summary: "One message or type of the loaded schema",
                parameters: [object([
                    ("name", str("name")), ("in", str("path")), ("required", .bool(true)),
                    ("description", str("A message or type name.")), ("schema", object([("type", str("string"))])),
                ])],
                success: json("The definition.", ref("SchemaEntry")), errorCodes: [401, 403, 404]))])),
            ("/v1/events", object([("get", operation(
                "events", tag: eventsTag, summary: "Several event streams on one connection",
                description: "Server-Sent Events of every event named, each registered with its defaults.\n\n" + sseDescription,
                parameters: [
                    object([
                        ("name", str("name")), ("in", str("query")), ("required", .bool(true)),
                        ("description", str("Event names: repeat the parameter (name=a&name=b).")),
                        ("schema", object([("type", str("array")), ("minItems", int(1)),
                                           ("items", object([("type", str("string")), ("enum", eventNames.isEmpty ? nil : strings(eventNames))]))])),
                        ("style", str("form")), ("explode", .bool(true)),
                    ]),
                    ref("LastEventID", section: "parameters"),
                ],
                success: object([("description", str("An endless text/event-stream; `event:` names the message of each.")),
                                 ("content", object([("text/event-stream", object([("schema", sseEvent(nil))]))]))]),
                errorCodes: [400, 401, 403, 404, 422, 501, 503, 504]))])),
            ("/openapi.json", object([("get", operation(
                "gateway_openapi", summary: "This document",
                success: json("The OpenAPI 3.1 document of the loaded schema.", object([("type", str("object"))])),
                errorCodes: []))])),
            ("/healthz", object([("get", operation(
                "gateway_healthz", summary: "Liveness: the gateway process is serving",
                success: json("Alive.", ref("Health")), errorCodes: []))])),
            ("/readyz", object([("get", operation(
                "gateway_readyz", summary: "Readiness: the gateway is connected to VPP",
                success: json("Ready.", ref("Health")), errorCodes: [503]))])),
            ("/metrics", object([("get", operation(
                "gateway_metrics", summary: "Prometheus metrics",
                success: object([("description", str("Prometheus text exposition format.")),
                                 ("content", object([("text/plain", object([("schema", object([("type", str("string"))]))]))]))]),
                errorCodes: []))])),
        ]
    }
}
