import Foundation

/// The nickname table: `Bob` → `Robert`, `Alex` → `Alexander`, `Alexandra`, ... shipped as data
/// (`NicknameTable.swift`: CSV text, `nickname,canonical`, one pair a line, a nickname may have
/// several canonical names, listed most common first) and parsed once, on first use.
///
/// Lookups go by *match key* (see `NameKey`): `canonical(forKey: "bob")` is `["robert"]`, so the
/// future matcher can compare the keys it already has. Immutable after loading, so it is safe to
/// share between the worker threads.
public struct Nicknames: Sendable {
    /// Canonical keys by nickname key, in file order, without duplicates.
    private let table: [String: [String]]
    /// Canonical display names by nickname key, in file order.
    private let display: [String: [String]]
    /// Why the shipped table could not be loaded, if it could not (the table is then empty).
    public let loadError: String?

    /// The shipped table, parsed the first time it is used.
    public static let shared = Nicknames(csv: shippedCSV)

    /// A table from CSV text: an optional `nickname,canonical` header, then one pair a line.
    /// Blank lines and lines starting with `#` are skipped.
    public init(csv: String, loadError: String? = nil) {
        var table: [String: [String]] = [:]
        var display: [String: [String]] = [:]
        for line in csv.split(whereSeparator: \.isNewline) {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") || text == "nickname,canonical" { continue }
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
                  let nick = NameKey.key(parts[0]), let canonical = NameKey.key(parts[1]), nick != canonical
            else { continue }
            if table[nick, default: []].contains(canonical) { continue }
            table[nick, default: []].append(canonical)
            display[nick, default: []].append(parts[1])
        }
        self.table = table
        self.display = display
        self.loadError = loadError
    }

    /// Number of nicknames in the table.
    public var count: Int { table.count }

    /// Number of (nickname, canonical) pairs in the table.
    public var pairCount: Int { table.values.reduce(0) { $0 + $1.count } }

    /// The canonical match keys of a nickname's match key (`"bob"` → `["robert"]`,
    /// `"alex"` → `["alexander", "alexandra"]`); empty when it is not a known nickname.
    public func canonical(forKey key: String) -> [String] { table[key] ?? [] }

    /// The canonical names of a name as written (`"BOB"` → `["Robert"]`); empty when unknown.
    public func canonicalNames(for name: String) -> [String] {
        guard let key = NameKey.key(name) else { return [] }
        return display[key] ?? []
    }

    /// The key to compare first names by: the first (most common) canonical key of a known
    /// nickname, else the key itself.
    public func primaryKey(forKey key: String) -> String { table[key]?.first ?? key }
}
