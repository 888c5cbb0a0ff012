import Foundation

/// Fixed vocabulary of the Acme shape: the 30 stores (as in `pos/stores.csv`), names and
/// nicknames, streets, e-mail domains, the product catalogue and the format variants each source
/// uses. Nothing here depends on the seed.
enum AcmeCatalog {
    // MARK: Stores

    /// One store: id and system as in stores.csv, the time zone, and local ZIP prefix / area codes.
    struct Store {
        let id: String
        let legacy: Bool
        let city: String
        let state: String
        let zone: String
        let zip3: String
        let areas: [String]
        /// Phone format on receipts: 0 digits only, 1 `(415) 555-0100`, 2 `415-555-0100`.
        let phoneStyle: Int
    }

    static let stores: [Store] = [
        Store(id: "1001", legacy: false, city: "New York", state: "NY", zone: "America/New_York", zip3: "100", areas: ["212", "646", "917"], phoneStyle: 0),
        Store(id: "1002", legacy: false, city: "Los Angeles", state: "CA", zone: "America/Los_Angeles", zip3: "900", areas: ["213", "310", "424"], phoneStyle: 1),
        Store(id: "1003", legacy: false, city: "Chicago", state: "IL", zone: "America/Chicago", zip3: "606", areas: ["312", "773", "872"], phoneStyle: 2),
        Store(id: "0901", legacy: true, city: "Houston", state: "TX", zone: "America/Chicago", zip3: "770", areas: ["713", "281", "832"], phoneStyle: 0),
        Store(id: "1004", legacy: false, city: "Brooklyn", state: "NY", zone: "America/New_York", zip3: "112", areas: ["718", "347", "929"], phoneStyle: 1),
        Store(id: "1005", legacy: false, city: "Philadelphia", state: "PA", zone: "America/New_York", zip3: "191", areas: ["215", "267"], phoneStyle: 2),
        Store(id: "1006", legacy: false, city: "Boston", state: "MA", zone: "America/New_York", zip3: "021", areas: ["617", "857"], phoneStyle: 0),
        Store(id: "1007", legacy: false, city: "Atlanta", state: "GA", zone: "America/New_York", zip3: "303", areas: ["404", "678", "470"], phoneStyle: 1),
        Store(id: "1008", legacy: false, city: "Miami", state: "FL", zone: "America/New_York", zip3: "331", areas: ["305", "786"], phoneStyle: 2),
        Store(id: "0902", legacy: true, city: "Dallas", state: "TX", zone: "America/Chicago", zip3: "752", areas: ["214", "469", "972"], phoneStyle: 0),
        Store(id: "1009", legacy: false, city: "Phoenix", state: "AZ", zone: "America/Phoenix", zip3: "850", areas: ["602", "480"], phoneStyle: 1),
        Store(id: "1010", legacy: false, city: "San Francisco", state: "CA", zone: "America/Los_Angeles", zip3: "941", areas: ["415", "628"], phoneStyle: 2),
        Store(id: "1011", legacy: false, city: "Washington", state: "DC", zone: "America/New_York", zip3: "200", areas: ["202"], phoneStyle: 0),
        Store(id: "1012", legacy: false, city: "Austin", state: "TX", zone: "America/Chicago", zip3: "787", areas: ["512", "737"], phoneStyle: 1),
        Store(id: "0903", legacy: true, city: "San Antonio", state: "TX", zone: "America/Chicago", zip3: "782", areas: ["210", "726"], phoneStyle: 0),
        Store(id: "1013", legacy: false, city: "Denver", state: "CO", zone: "America/Denver", zip3: "802", areas: ["303", "720"], phoneStyle: 0),
        Store(id: "1014", legacy: false, city: "San Diego", state: "CA", zone: "America/Los_Angeles", zip3: "921", areas: ["619", "858"], phoneStyle: 1),
        Store(id: "1015", legacy: false, city: "San José", state: "CA", zone: "America/Los_Angeles", zip3: "951", areas: ["408", "669"], phoneStyle: 2),
        Store(id: "1016", legacy: false, city: "Seattle", state: "WA", zone: "America/Los_Angeles", zip3: "981", areas: ["206"], phoneStyle: 0),
        Store(id: "1017", legacy: false, city: "Newark", state: "NJ", zone: "America/New_York", zip3: "071", areas: ["973", "862"], phoneStyle: 1),
        Store(id: "0904", legacy: true, city: "Pittsburgh", state: "PA", zone: "America/New_York", zip3: "152", areas: ["412", "878"], phoneStyle: 0),
        Store(id: "1018", legacy: false, city: "Baltimore", state: "MD", zone: "America/New_York", zip3: "212", areas: ["410", "443"], phoneStyle: 0),
        Store(id: "1019", legacy: false, city: "Charlotte", state: "NC", zone: "America/New_York", zip3: "282", areas: ["704", "980"], phoneStyle: 1),
        Store(id: "1020", legacy: false, city: "Raleigh", state: "NC", zone: "America/New_York", zip3: "276", areas: ["919", "984"], phoneStyle: 2),
        Store(id: "1021", legacy: false, city: "Sacramento", state: "CA", zone: "America/Los_Angeles", zip3: "958", areas: ["916", "279"], phoneStyle: 0),
        Store(id: "0905", legacy: true, city: "Portland", state: "OR", zone: "America/Los_Angeles", zip3: "972", areas: ["503", "971"], phoneStyle: 0),
        Store(id: "1022", legacy: false, city: "Columbus", state: "OH", zone: "America/New_York", zip3: "432", areas: ["614", "380"], phoneStyle: 2),
        Store(id: "1023", legacy: false, city: "Oakland", state: "CA", zone: "America/Los_Angeles", zip3: "946", areas: ["510", "341"], phoneStyle: 0),
        Store(id: "0906", legacy: true, city: "Indianapolis", state: "IN", zone: "America/Indiana/Indianapolis", zip3: "462", areas: ["317", "463"], phoneStyle: 0),
        Store(id: "1024", legacy: false, city: "Las Vegas", state: "NV", zone: "America/Los_Angeles", zip3: "891", areas: ["702", "725"], phoneStyle: 2),
    ]

    /// Relative store traffic (the flagship stores are busier).
    static let storeWeights: [Int] = stores.enumerated().map { i, s in s.legacy ? 4 : (i < 3 ? 9 : 5) }

    /// CRM spellings of a store's city (alternative spellings included).
    static let cityVariants: [String: [String]] = [
        "New York": ["New York", "New York", "NYC", "new york", "New York City"],
        "San José": ["San Jose", "San José", "SAN JOSE"],
        "Washington": ["Washington", "Washington DC", "Washington, D.C."],
        "Brooklyn": ["Brooklyn", "Brooklyn", "BROOKLYN"],
    ]

    // MARK: Non-US customers (online only)

    /// country code, CRM country spellings, city variants, postal code maker, phone: (country dial code, national prefix, digits)
    struct Country {
        let code: String
        let names: [String]
        let cities: [[String]]
        let dial: String
        let nationalPrefix: String
        let digits: Int
    }

    static let countries: [Country] = [
        Country(code: "CA", names: ["Canada", "CA", "CAN"], cities: [["Toronto"], ["Montréal", "Montreal"], ["Vancouver"]], dial: "1", nationalPrefix: "", digits: 10),
        Country(code: "GB", names: ["United Kingdom", "UK", "England", "GB"], cities: [["London"], ["Manchester"]], dial: "44", nationalPrefix: "0", digits: 10),
        Country(code: "DE", names: ["Germany", "Deutschland", "DE"], cities: [["München", "Munich"], ["Berlin"], ["Köln", "Cologne"]], dial: "49", nationalPrefix: "0", digits: 11),
        Country(code: "MX", names: ["Mexico", "México", "MX"], cities: [["Ciudad de México", "Mexico City", "CDMX"], ["Guadalajara"]], dial: "52", nationalPrefix: "", digits: 10),
        Country(code: "IE", names: ["Ireland", "IE"], cities: [["Dublin"], ["Cork"]], dial: "353", nationalPrefix: "0", digits: 9),
    ]

    // MARK: People

    /// Twin name pairs.
    static let twinNames = [("Ethan", "Evan"), ("Mia", "Maya"), ("Aiden", "Jaden"), ("Olivia", "Sophia"), ("Liam", "Lucas"), ("Ava", "Ella")]

    static let middleInitials = Array("ABCDEFGHJKLMNPRSTW")

    // MARK: Addresses

    static let streetNames = ["Main", "Oak", "Elm", "Maple", "Cedar", "Pine", "Hill", "Park", "Lake", "Washington", "Lincoln",
                              "Harbor", "Mission", "Grand", "Mill", "Spring", "Ridge", "Walnut", "Chestnut", "Laurel",
                              "Prospect", "Quail Run", "Country Club", "Ocean View", "Peachtree", "Water", "Adams", "Hickory"]
    /// Street types in their spelled and abbreviated forms.
    static let streetTypes = [("Street", "St"), ("Avenue", "Ave"), ("Road", "Rd"), ("Lane", "Ln"), ("Drive", "Dr"),
                              ("Place", "Pl"), ("Court", "Ct"), ("Parkway", "Pkwy"), ("Terrace", "Ter"), ("Way", "Way")]
    static let units = [("Apt", "Apartment"), ("Unit", "Unit"), ("Suite", "Ste"), ("#", "#")]

    // MARK: E-mail

    static let personalDomains = ["gmail.com", "gmail.com", "gmail.com", "yahoo.com", "hotmail.com", "outlook.com",
                                  "icloud.com", "me.com", "aol.com", "comcast.net", "msn.com", "live.com", "att.net",
                                  "sbcglobal.net"]
    static let workDomains = ["starktech.io", "globex.com", "initech.com", "umbrella-corp.com", "wayneenterprises.com",
                              "hooli.com", "massivedynamic.com", "northwind-traders.com", "contoso.com",
                              "consolidated-amalgamated-industries.com"]
    static let countryDomains = ["CA": "rogers.com", "GB": "btinternet.com", "DE": "t-online.de", "MX": "prodigy.net.mx", "IE": "eircom.net"]

    // MARK: CRM vocabularies

    static let leadSources = ["Web", "Web", "Web", "In-Store", "In-Store", "Phone Inquiry", "Email Campaign", "Social Media",
                              "Partner Referral", "Purchased List", "Trade Show", "Other", ""]
    static let usCountry = ["US", "US", "United States", "USA", "United States of America", ""]
    static let optInTrue = ["true", "true", "TRUE", "Yes", "1"]
    static let optInFalse = ["false", "false", "FALSE", "No", "0"]

    // MARK: Products

    /// One catalogue product.
    struct Product {
        let id: String
        let sku: String
        let name: String
        let category: String
        let cents: Int
    }

    static let products: [Product] = {
        let lines = ["Heritage", "Trail", "Alpine", "Urban", "Lightweight", "Packable", "Merino", "Everyday", "Coastal", "Summit"]
        // Prices fitted to the sample's tills: median line $20.50, mean $43, 90th percentile $107.
        let items: [(String, String, Int)] = [("Socks", "Accessories", 1299), ("Beanie", "Accessories", 1995), ("Water Bottle", "Gear", 1695),
                                              ("Headlamp", "Gear", 3495), ("Fleece", "Outerwear", 7995), ("Wind Shell", "Outerwear", 9995),
                                              ("Boots", "Footwear", 18995), ("Trail Runners", "Footwear", 12995), ("Tent", "Gear", 29999),
                                              ("Backpack", "Gear", 8995), ("Insulated Vest", "Outerwear", 8995), ("Base Layer", "Apparel", 4995),
                                              ("Hiking Pants", "Apparel", 6995), ("Tee", "Apparel", 2400), ("Energy Bar", "Food", 299),
                                              ("Sunscreen", "Accessories", 999), ("Carabiner", "Gear", 795), ("Trail Map", "Books", 1195),
                                              ("Gloves", "Accessories", 2495), ("Cap", "Accessories", 2295), ("Lip Balm", "Accessories", 399),
                                              ("Bandana", "Accessories", 995), ("Insect Repellent", "Accessories", 849), ("Stuff Sack", "Gear", 1495),
                                              ("Trekking Socks", "Accessories", 1895), ("Multitool", "Gear", 3995), ("Camp Mug", "Gear", 1495),
                                              ("Fire Starter", "Gear", 699), ("Guidebook", "Books", 1995), ("Dry Bag", "Gear", 2695)]
        let colors = ["Forest", "Rust", "Black", "Sand", "Olive", "Heather Grey", "Navy"]
        var rng = SplitMix(seed: 20_241_115)
        var out: [Product] = []
        for i in 0..<240 {
            let item = items[i % items.count]
            let line = lines[rng.below(lines.count)]
            let color = colors[rng.below(colors.count)]
            let base = item.2 * (80 + rng.below(60)) / 100
            let cents = base / 100 * 100 + [99, 95, 0, 50, 99][rng.below(5)]
            let sku = String(10_000_000 + rng.below(89_999_999))
            out.append(Product(id: "prod_\(1100 + i * 7)", sku: sku, name: "\(line) \(item.0) - \(color)", category: item.1,
                               cents: max(cents, 199)))
        }
        return out
    }()

    // MARK: Web

    static let webAgents = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.92",
    ]
    static let webLibraries = ["npm:next-1.70.0", "npm:next-1.64.0", "4.15.3"]
    static let pages: [(String, String, String)] = [("Home", "/", "Acme Outfitters - Gear for every trail"),
                                                    ("Category", "/c/outerwear", "Shop | Acme Outfitters"),
                                                    ("Category", "/c/footwear", "Shop | Acme Outfitters"),
                                                    ("Category", "/c/gear", "Shop | Acme Outfitters"),
                                                    ("Sale", "/sale", "Sale | Acme Outfitters")]
    static let referrers = ["", "https://www.google.com/", "https://www.instagram.com/", "https://www.acme-outfitters.example/"]
    static let campaigns = [("New Arrivals", "It's back!"), ("Fall Trail Sale", "Your trail awaits 🌲"), ("Member Week", "Members save more"),
                            ("Holiday Preview", "Gifts for every hiker"), ("Weekend Deals", "48 hours only")]
    static let iosModels = ["iPhone15,2", "iPhone15,4", "iPhone16,1", "iPhone14,5"]
    static let androidModels = [("samsung", "SM-S911B"), ("samsung", "SM-A546B"), ("Google", "Pixel 8"), ("motorola", "moto g 5G")]
}
