import Foundation
import TributaryConfig
import TributaryCore

extension SQLiteWriter {
    /// The attached previous output's segment members.
    func previousSegmentMembership() throws(RunError) -> [(segment: String, profile: String, since: String)] {
        let rows: SQLiteDatabase.Statement
        do {
            rows = try db.prepare("SELECT segment, profile_id, since FROM previous.segment_membership")
        } catch {
            return []  // an output without segments
        }
        var members: [(String, String, String)] = []
        while try rows.next() {
            if let segment = rows.text(0), let profile = rows.text(1), let since = rows.text(2) {
                members.append((segment, profile, since))
            }
        }
        return members
    }
}
