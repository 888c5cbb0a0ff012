import Foundation

/// One true Acme customer: the attributes every source renders its own way. Built once by
/// `AcmeGenerator.makePeople()`; each writer derives its records from these with its own seeded
/// stream, so the files can be written one after another without holding records in memory.
struct AcmePerson {
    /// A postal address and the household's landline.
    struct Address {
        var number: Int
        var street: Int       // AcmeCatalog.streetNames
        var type: Int         // AcmeCatalog.streetTypes
        var unit: String?     // "4A"
        var city: String
        var state: String
        var zip: String       // US 5 digits or the country's form
        var country: Int      // -1 = US, else AcmeCatalog.countries
        var landline: String? // E.164
    }

    /// Index; the id is `p` + 7 digits of index + 1.
    var index: Int
    var first: String
    var nickname: String?
    var middle: Character?
    var last: String
    var suffix: String?           // "Jr." / "Sr."
    var birth: (y: Int, m: Int, d: Int)?
    var address: Address
    /// The address before a move (older CRM contacts keep it), and when they moved.
    var oldAddress: Address?
    var movedAt: Int64 = 0
    var email: String
    var workEmail: String?
    var mobile: String?           // E.164
    var homeStore: Int            // AcmeCatalog.stores, -1 for customers abroad
    var crmContacts: Int
    var firstContact: Int         // global contact number of the first contact
    var appAccounts: [String]
    var devices: Int
    /// Loyalty cards: the second replaces the first (lost) from `cardSwitch` on.
    var cards: [String]
    var cardSwitch: Int64 = 0
    var storeVisits: Int
    /// How the tills know this customer without a card: 0 card, 1 e-receipt e-mail only, 2 SMS phone only,
    /// 3 the e-receipt account's name and phone (its e-mail on some receipts).
    var posMode: Int
    var customerSince: Int64

    var id: String { "p" + AcmeFormat.pad(index + 1, 7) }
    /// The phone the person gives at the till and on web forms: the home landline if any, else the mobile.
    var homePhone: String? { address.landline ?? mobile }
    var abroad: Bool { address.country >= 0 }
}
