import Foundation

/// One Segment-spec event line before its receipt times are fixed: renders the JSON line with a
/// given sentAt/receivedAt (a re-send changes only those), or broken in one of the ways the README
/// names (for the quarantine share).
struct AcmeEvent {
    var type: String
    var library: AcmeGenerator.EventLibrary
    var messageId: String
    var anonymousId: String?
    var userId: String?
    /// Web sends `"userId":null` before login; the apps leave it out.
    var webNullUser: Bool
    /// `event` of a track.
    var name: String?
    /// `"properties":{...}` / `"traits":{...}` / `"name":...,"properties":{...}` (JSON members).
    var body: String
    /// Members of `context`.
    var context: String
    var timestamp = ""
    var sent: Int64 = 0
    var received: Int64 = 0

    init(type: String, library: AcmeGenerator.EventLibrary, messageId: String, anonymousId: String?, userId: String?,
         webNullUser: Bool, name: String?, body: String, context: String) {
        self.type = type
        self.library = library
        self.messageId = messageId
        self.anonymousId = anonymousId
        self.userId = userId
        self.webNullUser = webNullUser
        self.name = name
        self.body = body
        self.context = context
    }

    // MARK: Rendering

    /// The line's bytes (no line end).
    var bytes: [UInt8] { Array(render().utf8) }

    /// The same event re-sent: later sentAt and receivedAt.
    func resend(_ received: Int64) -> [UInt8] {
        var e = self
        e.received = received
        e.sent = received - (self.received - self.sent)
        return Array(e.render().utf8)
    }

    /// The JSON line. A `type` or `timestamp` of "-" leaves that key out (a broken line).
    func render(type: String? = nil, messageId: String? = nil, timestamp: String? = nil, ids: Bool = true, event: Bool = true) -> String {
        let ascii = library == .ios
        var members: [String] = []
        if type != "-" { members.append("\"type\":\"\(type ?? self.type)\"") }
        if library == .node, let name, event { members.append("\"event\":" + AcmeFormat.json(name)) }
        members.append("\"messageId\":\"\(messageId ?? self.messageId)\"")
        if ids, let anonymousId { members.append("\"anonymousId\":\"\(anonymousId)\"") }
        if ids, let userId { members.append("\"userId\":" + AcmeFormat.json(userId, asciiOnly: ascii)) } else if webNullUser { members.append("\"userId\":null") }
        if library != .node, let name, event { members.append("\"event\":" + AcmeFormat.json(name)) }
        members.append(body)
        members.append("\"context\":{" + context + "}")
        if timestamp != "-" { members.append("\"timestamp\":\"\(timestamp ?? self.timestamp)\"") }
        members.append("\"sentAt\":\"\(AcmeFormat.isoUTC(millis: sent))\"")
        members.append("\"receivedAt\":\"\(AcmeFormat.isoUTC(millis: received))\"")
        return "{" + members.joined(separator: ",") + "}"
    }

    // MARK: Corruption

    /// A broken copy (with a fresh messageId) and its reason slug.
    func corrupted(_ r: inout SplitMix) -> ([UInt8], String) {
        let fresh = library == .ios ? AcmeFormat.uuid(&r, upper: true) : "ajs-next-" + AcmeFormat.hex(&r, 32)
        var kind = r.below(7)
        if kind == 6 && (type != "track" || name == nil) { kind = 1 }
        switch kind {
        case 0:
            var b = Array(render(messageId: fresh).utf8)
            let at = b.count / 2 + r.below(b.count / 3)
            b.insert(contentsOf: [0xC3, 0x28, 0xFF], at: at)
            return (b, "invalid_utf8")
        case 1:
            let b = Array(render(messageId: fresh).utf8)
            return (Array(b.prefix(20 + r.below(b.count - 40))), "not_json")
        case 2:
            return (Array(render(type: r.pick(["screen", "alias", "Track", "group", "-", "-"]), messageId: fresh).utf8), "bad_type")
        case 3:
            return (Array(render(messageId: "").utf8), "empty_message_id")
        case 4:
            return (Array(render(messageId: fresh, timestamp: r.chance(0.5) ? "" : "-").utf8), "empty_timestamp")
        case 5:
            var e = self
            e.webNullUser = false
            return (Array(e.render(messageId: fresh, ids: false).utf8), "no_identity")
        default:
            return (Array(render(messageId: fresh, event: false).utf8), "track_without_event")
        }
    }
}
