import Foundation
import Testing
@testable import TributaryComponents
import TributaryCore
import TributaryTestSupport

// The phone standardizer against Python's `phonenumbers` (libphonenumber): every line of
// Tests/Fixtures/phonenumbers-differential.tsv (written by Scripts/generate-phone-metadata from
// the example numbers of every region and type, plus perturbed ones) holds an input, the default
// region (empty: none), and phonenumbers' verdict: the E.164 number or `invalid`.

/// Our E.164 for `input` read with `region` (an ISO code, or nil), or nil when invalid.
func standardizePhone(_ input: String, region: String?) -> String? {
    var digits: [UInt8] = [], work: [UInt8] = [], spare: [UInt8] = []
    let regionIndex = region.flatMap { Phone.plan.byISO[$0] }
    let bytes = Array(input.utf8)
    return bytes.withUnsafeBufferPointer { buffer -> String? in
        let (s, e) = Standardizer.trimmed(buffer)
        guard s < e else { return nil }
        switch Phone.parse(UnsafeBufferPointer(rebasing: buffer[s..<e]), digits: &digits, work: &work, spare: &spare,
                           recordCountry: { regionIndex }) {
        case .valid(let country, let nationalStart, _):
            return "+" + String(decoding: Phone.plan.callingCodeDigits[country] + digits[nationalStart...], as: UTF8.self)
        case .invalid:
            return nil
        }
    }
}

@Suite struct PhoneDifferentialTests {
    /// Where we knowingly differ from phonenumbers, by input and region, each with the reason.
    static let placeholder = "the digits are 1234567890 or 0123456789, which the standardizer rejects as a placeholder (`phone.invalid.placeholder`) before any numbering plan; libphonenumber's example numbers use such runs"
    static let knownDifferences: [String: String] = [
        "1234567890\tAT": placeholder,
        "0123456789\tAT": placeholder,
        "01 23 45 6789\tCI": placeholder,
        "0123456789\tCI": placeholder,
        "01 23 45 67 89\tFR": placeholder,
        "012-345 6789\tMY": placeholder,
    ]

    @Test func agreesWithPhonenumbers() throws {
        let text = try String(contentsOf: fixture("phonenumbers-differential.tsv"), encoding: .utf8)
        var total = 0, agreed = 0
        var disagreements: [String] = []
        var byKind: [String: Int] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            try #require(fields.count == 4, "bad fixture line \(line)")
            let region = fields[1].isEmpty ? nil : fields[1]
            let expected = fields[2] == "invalid" ? nil : fields[2]
            let ours = standardizePhone(fields[0], region: region)
            total += 1
            if ours == expected || Self.knownDifferences[fields[0] + "\t" + fields[1]] != nil {
                agreed += 1
            } else {
                byKind[fields[3], default: 0] += 1
                disagreements.append("\(fields[0].debugDescription) region \(fields[1].isEmpty ? "-" : fields[1]) [\(fields[3])]: "
                                     + "phonenumbers \(expected ?? "invalid"), ours \(ours ?? "invalid")")
            }
        }
        print("phonenumbers differential: \(agreed)/\(total) agree (\(String(format: "%.3f", 100 * Double(agreed) / Double(max(total, 1))))%)")
        if !disagreements.isEmpty {
            print("disagreements by kind: \(byKind.sorted { $0.key < $1.key })")
            for d in disagreements.prefix(60) { print("  " + d) }
        }
        #expect(total > 20_000)
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, first: \(disagreements.prefix(5))")
    }

    /// The numbers of the issue that were `unknown_country` with 21 hand-written countries.
    @Test(arguments: [
        ("+48 601 234 567", "+48601234567"),
        ("+47 412 34 567", "+4741234567"),
        ("+32 470 12 34 56", "+32470123456"),
        ("+65 8123 4567", "+6581234567"),
        ("+351 912 345 678", "+351912345678"),
    ])
    func numbersOutsideTheOldCountries(_ input: String, _ e164: String) {
        #expect(standardizePhone(input, region: nil) == e164)
        #expect(standardizePhone(input, region: "US") == e164)
    }

    @Test func nationalNumbersOfNewCountries() {
        #expect(standardizePhone("601 234 567", region: "PL") == "+48601234567")
        #expect(standardizePhone("912 345 678", region: "PT") == "+351912345678")
        #expect(standardizePhone("0470 12 34 56", region: "BE") == "+32470123456")
        #expect(standardizePhone("8 (495) 123-45-67", region: "RU") == "+74951234567")
        #expect(standardizePhone("246 1234", region: "BB") == nil)  // 7-digit local form needs a valid range
        #expect(standardizePhone("+800 1234 5678", region: nil) == "+80012345678")  // non-geographic
    }
}
