import Foundation
import TributaryCore

/// Checks of `output: postgres:`, a libpq connection URL. Messages never quote the value: it
/// may carry a password or come from the environment.
public enum PostgresURL {
    static func check(_ node: ConfigNode) -> [Diagnostic] {
        guard let text = node.scalar else { return [] }
        guard text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") else {
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

    /// Whether the URL's authority has `user:password@`.
    public static func hasPassword(_ url: String) -> Bool {
        guard let scheme = url.range(of: "://") else { return false }
        let rest = url[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        guard let at = authority.lastIndex(of: "@") else { return false }
        return authority[..<at].contains(":")
    }
}
