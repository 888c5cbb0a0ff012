import Foundation
import Testing
import TributaryTestSupport

/// The analyst views of an output (`current_segments`, `profile_overview`, `identity_edges`) and
/// its schema version, on the Acme sample: each view answers what the tables say. (The
/// PostgreSQL tests check the same views give the same rows there.)
@Suite("Analyst views")
struct AnalystViewsTests {
    @Test func theViewsAnswerWhatTheTablesSay() throws {
        let ws = try Workspace()
        let pipeline = CLI.packageRoot.appendingPathComponent("Pipelines/acme.yml").path
        let run = try CLI.run(["run", pipeline, "--as-of", "2024-11-15"],
                              environment: ["ACME_DATA": CLI.packageRoot.appendingPathComponent("SampleData/acme").path,
                                            "TRIBUTARY_OUT": ws.file("out")])
        try #require(run.status == 0, "\(run)")
        let db = try Database(ws.file("out/acme.sqlite"))
        #expect(db.value("PRAGMA user_version") == "2")
        // Every member once, with its segment's description.
        #expect(db.value("SELECT count(*) FROM current_segments") == db.value("SELECT count(*) FROM segment_membership"))
        #expect(db.value("SELECT count(*) FROM current_segments WHERE description IS NULL")
                == db.value("SELECT count(*) FROM segment_membership m JOIN segments s USING (segment) WHERE s.description IS NULL"))
        // One row per profile, its golden values and traits, and how many segments hold it.
        #expect(db.value("SELECT count(*) FROM profile_overview") == db.value("SELECT count(*) FROM profiles"))
        #expect(db.value("SELECT sum(segment_count) FROM profile_overview") == db.value("SELECT count(*) FROM segment_membership"))
        #expect(db.value("SELECT count(*) FROM profile_overview o JOIN profiles p USING (profile_id) WHERE o.email IS NOT p.email") == "0")
        // Edges: every attributed record to its profile, and every probabilistic link.
        #expect(db.value("SELECT count(*) FROM identity_edges WHERE to_node = profile_id")
                == db.value("SELECT count(profile_id) FROM profile_records"))
        #expect(db.value("SELECT count(*) FROM identity_edges WHERE to_node <> profile_id")
                == db.value("SELECT count(*) FROM match_evidence"))
        // A link's two records are in the profile the edge names.
        #expect(db.value("""
            SELECT count(*) FROM identity_edges e JOIN profile_records r ON r.source || ':' || r.record_id = e.to_node
            WHERE e.to_node <> e.profile_id AND r.profile_id IS NOT e.profile_id
            """) == "0")
    }
}
