import Foundation
import TributaryCore

/// Checks of `output: postgres:`, a libpq connection URL. Messages never quote the value: it
/// may carry a password or come from the environment.
public enum PostgresURL {
    static func check(_ node: ConfigNode) -> [Diagnostic] {
        guard let text = node.scalar else { return [] }
        guard isURL(text) else {
            return [.error(.invalidValue, at: node.location, "`postgres:` must be a URL starting with postgresql://",
                           hint: "e.g. postgresql://tributary@localhost:5432/analytics; the password in PGPASSWORD or ~/.pgpass")]
        }
        // A password written in the pipeline file ends up in version control and CI logs.
        if node.interpolatedFrom.isEmpty, hasPassword(text) {
            var error = Diagnostic.error(.invalidValue, at: node.location, "`postgres:` holds a password written in the pipeline file",
                                         hint: "take it from the environment: `postgres: ${PG_URL}`, or PGPASSWORD / ~/.pgpass")
            error.quotesSource = false  // the line is the password: not copied into CI logs
            return [error]
        }
        return []
    }

    /// Whether a text names a PostgreSQL server by URL (not a file path).
    public static func isURL(_ text: String) -> Bool { text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") }

    /// Whether the URL's authority has `user:password@`.
    public static func hasPassword(_ url: String) -> Bool {
        guard let (_, authority, _) = parts(url), let at = authority.lastIndex(of: "@") else { return false }
        return authority[..<at].contains(":")
    }

    /// The URL with its password, if any, replaced by `***`, and its query (which may carry
    /// `password=`) left out: what messages may print.
    public static func redacted(_ url: String) -> String {
        guard let (scheme, authority, rest) = parts(url) else { return "(a connection string)" }
        var redacted = String(scheme)
        if let at = authority.lastIndex(of: "@") {
            let user = authority[..<at]
            redacted += (user.firstIndex(of: ":").map { String(user[..<$0]) + ":***" } ?? String(user)) + String(authority[at...])
        } else {
            redacted += authority
        }
        return redacted + rest.prefix { $0 != "?" }
    }

    /// `postgresql://`, `user:password@host:port`, and the path and query after them.
    private static func parts(_ url: String) -> (scheme: Substring, authority: Substring, rest: Substring)? {
        guard let scheme = url.range(of: "://") else { return nil }
        let afterScheme = url[scheme.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" } ?? afterScheme.endIndex
        return (url[..<scheme.upperBound], afterScheme[..<authorityEnd], afterScheme[authorityEnd...])
    }
}
