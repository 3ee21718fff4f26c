import Foundation
import Logging
import VPPJSON

/// Writes one JSON object per log line to standard error through ``LogOutput``
/// (`--log-format json`), for log
/// pipelines: `{"ts":…,"level":…,"label":…,"message":…, <metadata>…}`. Metadata such as
/// `request_id` becomes top-level keys.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(label: String, level: Logger.Level) {
        self.label = label
        logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var o = JSONObject()
        o.append("ts", .string(Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))))
        o.append("level", .string(event.level.rawValue))
        o.append("label", .string(label))
        o.append("message", .string(event.message.description))
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (k, v) in merged.sorted(by: { $0.key < $1.key }) { o.append(k, .string(v.description)) }
        if !event.source.isEmpty { o.append("source", .string(event.source)) }
        LogOutput.standardError.write(Array((JSONValue.object(o).jsonText + "\n").utf8))
    }
}
