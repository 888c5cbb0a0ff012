/// A small pipeline whose matching result is known (ExplainTests, GoldenTextTests): a pinned
/// model, so every weight can be computed by hand. C1 and C2 share an e-mail; C3 (Annabelle, no
/// e-mail) matches them on last name, birth date and postcode; C4 and C5 (Stone) share a last
/// name and postcode only; 20 more records have names and postcodes of their own.
public enum MatchingFixture {
    public static let model = """
        {"comparisons":[{"name":"first_name","attribute":0,"levels":[{"exact":{}}]},
        {"name":"last_name","attribute":1,"levels":[{"exact":{}},{"jaroWinkler":{"_0":0.9}}]},
        {"name":"birthdate","attribute":2,"levels":[{"exact":{}}]},
        {"name":"postcode","attribute":3,"levels":[{"exact":{}}]}],
        "m":[[0,0.9,0.1],[0,0.9,0.05,0.05],[0,0.95,0.05],[0,0.9,0.1]],
        "u":[[0,0.01,0.99],[0,0.05,0.009,0.941],[0,0.001,0.999],[0,0.01,0.99]],
        "prior":0.001,"iterations":0,"converged":true}
        """

    /// The pipeline named `name`, writing `out/<output>.sqlite` from `contacts.csv` with the model
    /// in `model.json`; `maxClusterSize` adds that line to `identity:`.
    public static func pipeline(name: String, output: String, maxClusterSize: Int? = nil) -> String {
        """
        version: 1
        name: \(name)
        output:
          sqlite: out/\(output).sqlite
        sources:
          crm:
            format: csv
            path: contacts.csv
            fields:
              contact_id: Id
              first_name: First
              last_name: Last
              email: Email
              birthdate: Birth
              postcode: Zip
        identity:
          identifiers:
            email: { from: [crm.email], max_per_profile: 3 }

        """ + (maxClusterSize.map { "  max_cluster_size: \($0)\n" } ?? "") + """
          probabilistic:
            attributes:
              first_name: [crm.first_name]
              last_name: [crm.last_name]
              birthdate: [crm.birthdate]
              postcode: [crm.postcode]
            blocking: [[last_name], [postcode]]
            comparisons:
              first_name: { method: exact }
              last_name: { method: jaro_winkler, levels: [0.9], term_frequency: true }
              birthdate: { method: exact }
              postcode: { method: exact }
            threshold: 0.9
            model: model.json

        """
    }

    /// `contacts.csv`: the 25 records described above.
    public static func data() -> String {
        var csv = """
            Id,First,Last,Email,Birth,Zip
            C1,Annabel,Lee,annabel.lee@example.org,1980-01-02,ZQ1
            C2,Annabel,Lee,annabel.lee@example.org,1980-01-02,ZQ1
            C3,Annabelle,Lee,,1980-01-02,ZQ1
            C4,Bartholomew,Stone,bart@example.net,1975-05-05,YK2
            C5,Rob,Stone,rstone@example.net,1990-09-09,YK2

            """
        for i in 6...25 { csv += "C\(i),First\(i),Last\(i),,19\(40 + i)-03-04,P\(i)\n" }
        return csv
    }
}
