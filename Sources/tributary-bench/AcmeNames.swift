import Foundation

/// Who the customers are called: given names and surnames drawn by culture, with Zipf weights
/// inside each list (the first names of a list are the common ones), double-barrelled surnames
/// and surnames with particles (`von Bergen`, `De Luca`, `Lo Bianco`).
///
/// Fitted to the customer's sample (`SampleData/acme`, 1,358 named people): there, the chance
/// that two customers share a normalized given name is about 0.0043 and a surname about 0.0135
/// (Smith alone is 7.6% of the people), so at 100,000 customers a full name is shared by about
/// six others. The first population drew 60 given names and 81 surnames uniformly (0.017 and
/// 0.012: about twenty others per full name), which made name-only evidence far weaker than on
/// the customer's data. `Scripts/compare_acme_shape.py` prints both figures for an export.
enum AcmeNames {
    struct Culture {
        let weight: Int
        /// Given names, most common first, with a nickname where one is usual.
        let given: [(String, String?)]
        /// Surnames, most common first.
        let surnames: [String]
    }

    // MARK: Cultures

    static let cultures: [Culture] = [
        Culture(weight: 58, given: [
            ("James", "Jim"), ("Robert", "Bob"), ("Mary", nil), ("Jennifer", "Jen"), ("John", "Jack"), ("William", "Bill"),
            ("Michael", "Mike"), ("Elizabeth", "Liz"), ("Patricia", "Pat"), ("David", "Dave"), ("Linda", nil),
            ("Barbara", nil), ("Richard", "Rick"), ("Susan", "Sue"), ("Joseph", "Joe"), ("Jessica", nil), ("Thomas", "Tom"),
            ("Sarah", nil), ("Christopher", "Chris"), ("Karen", nil), ("Charles", "Charlie"), ("Lisa", nil), ("Daniel", "Dan"),
            ("Nancy", nil), ("Matthew", "Matt"), ("Betty", nil), ("Anthony", "Tony"), ("Margaret", "Peggy"), ("Mark", nil),
            ("Sandra", nil), ("Steven", "Steve"), ("Ashley", nil), ("Paul", nil), ("Emily", nil), ("Andrew", "Andy"),
            ("Donna", nil), ("Joshua", "Josh"), ("Michelle", nil), ("Kenneth", "Ken"), ("Carol", nil), ("Kevin", nil),
            ("Amanda", nil), ("Brian", nil), ("Melissa", nil), ("George", nil), ("Deborah", "Debbie"), ("Timothy", "Tim"),
            ("Stephanie", nil), ("Ronald", "Ron"), ("Rebecca", "Becky"), ("Jason", nil), ("Laura", nil), ("Edward", "Ed"),
            ("Helen", nil), ("Jeffrey", "Jeff"), ("Sharon", nil), ("Ryan", nil), ("Cynthia", "Cindy"), ("Jacob", "Jake"),
            ("Kathleen", "Kathy"), ("Gary", nil), ("Amy", nil), ("Nicholas", "Nick"), ("Angela", nil), ("Eric", nil),
            ("Shirley", nil), ("Jonathan", "Jon"), ("Anna", nil), ("Stephen", "Steve"), ("Ruth", nil), ("Larry", nil),
            ("Brenda", nil), ("Justin", nil), ("Pamela", "Pam"), ("Scott", nil), ("Nicole", nil), ("Brandon", nil),
            ("Katherine", "Kate"), ("Benjamin", "Ben"), ("Samantha", "Sam"), ("Samuel", "Sam"), ("Christine", nil),
            ("Gregory", "Greg"), ("Debra", nil), ("Alexander", "Alex"), ("Rachel", nil), ("Frank", nil), ("Carolyn", nil),
            ("Patrick", "Pat"), ("Janet", nil), ("Raymond", "Ray"), ("Catherine", "Cathy"), ("Jack", nil), ("Maria", nil),
            ("Dennis", nil), ("Heather", nil), ("Jerry", nil), ("Diane", nil), ("Tyler", nil), ("Julie", nil), ("Aaron", nil),
            ("Joyce", nil), ("Henry", "Hank"), ("Victoria", "Vicky"), ("Douglas", "Doug"), ("Kelly", nil), ("Nathan", "Nate"),
            ("Christina", "Tina"), ("Peter", "Pete"), ("Lauren", nil), ("Zachary", "Zach"), ("Joan", nil), ("Kyle", nil),
            ("Evelyn", nil), ("Walter", "Walt"), ("Judith", "Judy"), ("Harold", "Hal"), ("Megan", nil), ("Jeremy", nil),
            ("Andrea", nil), ("Ethan", nil), ("Cheryl", nil), ("Carl", nil), ("Hannah", nil), ("Keith", nil), ("Jacqueline", "Jackie"),
            ("Roger", nil), ("Martha", nil), ("Gerald", "Jerry"), ("Gloria", nil), ("Christian", nil), ("Teresa", nil),
            ("Terry", nil), ("Sara", nil), ("Sean", nil), ("Janice", nil), ("Arthur", "Art"), ("Julia", nil), ("Austin", nil),
            ("Marie", nil), ("Noah", nil), ("Madison", nil), ("Lawrence", "Larry"), ("Grace", nil), ("Jesse", nil),
            ("Judy", nil), ("Joe", nil), ("Theresa", nil), ("Bryan", nil), ("Beverly", nil), ("Billy", nil), ("Denise", nil),
            ("Jordan", nil), ("Marilyn", nil), ("Albert", "Al"), ("Amber", nil), ("Dylan", nil), ("Danielle", nil),
            ("Bruce", nil), ("Abigail", "Abby"), ("Willie", nil), ("Brittany", nil), ("Gabriel", "Gabe"), ("Olivia", nil),
            ("Logan", nil), ("Diana", nil), ("Alan", nil), ("Jane", nil), ("Liam", nil), ("Lori", nil), ("Mason", nil),
            ("Alexis", nil), ("Wayne", nil), ("Tiffany", nil), ("Elijah", nil), ("Kayla", nil), ("Randy", nil), ("Emma", nil),
            ("Vincent", "Vince"), ("Charlotte", nil), ("Russell", "Russ"), ("Natalie", nil), ("Louis", "Lou"), ("Ava", nil),
            ("Bobby", nil), ("Sophia", nil), ("Philip", "Phil"), ("Chloe", nil), ("Johnny", nil), ("Abby", nil),
        ], surnames: [
            "Smith", "Johnson", "Williams", "Brown", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Moore",
            "Jackson", "Thomas", "White", "Harris", "Martin", "Thompson", "Clark", "Lewis", "Robinson", "Walker",
            "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter",
            "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans", "Edwards", "Collins",
            "Stewart", "Morris", "Rogers", "Reed", "Cook", "Morgan", "Bell", "Cooper", "Richardson", "Cox", "Howard",
            "Ward", "Peterson", "Gray", "James", "Watson", "Brooks", "Kelly", "Sanders", "Price", "Bennett", "Wood",
            "Barnes", "Ross", "Henderson", "Coleman", "Jenkins", "Perry", "Powell", "Long", "Patterson", "Hughes",
            "Foster", "Washington", "Butler", "Simmons", "Bryant", "Alexander", "Russell", "Griffin", "Hayes", "Myers",
            "Ford", "Hamilton", "Graham", "Sullivan", "Wallace", "Woods", "Cole", "West", "Jordan", "Owens", "Reynolds",
            "Fisher", "Ellis", "Harrison", "Gibson", "McDonald", "Marshall", "Wells", "Tucker", "Porter", "Hunter",
            "Hicks", "Crawford", "Henry", "Boyd", "Mason", "Kennedy", "Warren", "Dixon", "Burns", "Gordon", "Shaw",
            "Holmes", "Rice", "Robertson", "Hunt", "Black", "Daniels", "Palmer", "Mills", "Grant", "Knight", "Ferguson",
            "Stone", "Hawkins", "Dunn", "Perkins", "Hudson", "Spencer", "Gardner", "Stephens", "Payne", "Pierce",
            "Berry", "Matthews", "Arnold", "Wagner", "Willis", "Ray", "Watkins", "Olson", "Carroll", "Duncan", "Snyder",
            "Hart", "Cunningham", "Bradley", "Lane", "Andrews", "Harper", "Fox", "Riley", "Armstrong", "Carpenter",
            "Weaver", "Greene", "Lawrence", "Elliott", "Chavez", "Sims", "Austin", "Peters", "Kelley", "Franklin",
            "Lawson", "St. John", "McAllister", "MacLeod",
        ]),
        Culture(weight: 15, given: [
            ("María", nil), ("José", "Pepe"), ("Juan", nil), ("Ana", nil), ("Guadalupe", "Lupe"), ("Luis", nil),
            ("Carlos", nil), ("Jesús", nil), ("Rosa", nil), ("Miguel", nil), ("Carmen", nil), ("Jorge", nil),
            ("Francisco", "Paco"), ("Sofía", nil), ("Alejandro", nil), ("Isabel", nil), ("Antonio", nil), ("Lucía", nil),
            ("Manuel", nil), ("Mariana", nil), ("Ricardo", nil), ("Leticia", nil), ("Eduardo", nil), ("Verónica", nil),
            ("Fernando", nil), ("Beatriz", nil), ("Raúl", nil), ("Mónica", nil), ("Andrés", nil), ("Teresa", nil),
            ("Joaquín", nil), ("Inés", nil), ("Óscar", nil), ("Gabriela", nil), ("Héctor", nil), ("Patricia", nil),
            ("Ramón", nil), ("Alejandra", nil), ("Martín", nil), ("Daniela", nil), ("Rubén", nil), ("Valentina", nil),
            ("Ángel", nil), ("Camila", nil), ("Diego", nil), ("Ximena", nil), ("Javier", nil), ("Paola", nil),
            ("María José", nil), ("Juan Carlos", nil), ("José Luis", nil), ("Ana Lucía", nil), ("Juan Pablo", nil),
            ("María Fernanda", nil),
        ], surnames: [
            "Rodriguez", "Garcia", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Perez", "Sanchez", "Ramirez",
            "Torres", "Flores", "Rivera", "Gomez", "Diaz", "Cruz", "Morales", "Reyes", "Gutierrez", "Ortiz", "Ruiz",
            "Jiménez", "Vasquez", "Castillo", "Romero", "Mendoza", "Moreno", "Álvarez", "Medina", "Herrera", "Aguilar",
            "Vargas", "Castro", "Núñez", "Muñoz", "Acuña", "Domínguez", "Guerrero", "Delgado", "Rojas", "Salazar",
            "de León", "de la Cruz", "Peña", "Ibáñez",
        ]),
        Culture(weight: 5, given: [
            ("Seán", nil), ("Siobhán", nil), ("Ciarán", nil), ("Niamh", nil), ("Aoife", nil), ("Darragh", nil),
            ("Cian", nil), ("Pádraig", nil), ("Róisín", nil), ("Oisín", nil), ("Caoimhe", nil), ("Sinéad", nil),
            ("Eoin", nil), ("Orla", nil), ("Conor", nil), ("Aisling", nil), ("Declan", nil), ("Clodagh", nil),
            ("Fionn", nil), ("Saoirse", nil), ("Colm", nil), ("Méabh", nil), ("Ronan", nil), ("Gráinne", nil),
        ], surnames: [
            "Murphy", "Kelly", "O'Sullivan", "Walsh", "O'Brien", "Byrne", "Ryan", "O'Connor", "O'Neill", "O'Reilly",
            "Doyle", "McCarthy", "Gallagher", "O'Doherty", "Kennedy", "Lynch", "Murray", "Quinn", "Moore", "McLoughlin",
            "Ó Súilleabháin", "Ní Bhriain", "Mac Giolla", "Ó Briain",
        ]),
        Culture(weight: 5, given: [
            ("Marco", nil), ("Francesca", nil), ("Francesco", nil), ("Giulia", nil), ("Luca", nil), ("Chiara", nil),
            ("Matteo", nil), ("Alessia", nil), ("Giuseppe", "Beppe"), ("Martina", nil), ("Alessandro", "Sandro"),
            ("Sara", nil), ("Lorenzo", nil), ("Elena", nil), ("Andrea", nil), ("Federica", nil), ("Davide", nil),
            ("Valentina", nil), ("Giovanni", "Gianni"), ("Silvia", nil), ("Stefano", nil), ("Paola", nil),
            ("Riccardo", nil), ("Roberta", nil), ("Simone", nil), ("Ilaria", nil),
        ], surnames: [
            "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
            "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti",
            "Lo Bianco", "Di Stefano", "D'Angelo", "De Santis", "Barbieri", "Fontana",
        ]),
        Culture(weight: 5, given: [
            ("Stefan", nil), ("Monika", nil), ("Jürgen", nil), ("Ursula", "Uschi"), ("Günter", nil), ("Birgit", nil),
            ("Henrik", nil), ("Kirsten", nil), ("Käthe", nil), ("Sebastian", nil), ("Mikael", nil), ("Søren", nil),
            ("Øystein", nil), ("Lars", nil), ("Ingrid", nil), ("Klaus", nil), ("Sabine", nil), ("Wolfgang", nil),
            ("Petra", nil), ("Anders", nil), ("Astrid", nil), ("Matthias", nil), ("Heike", nil), ("Björn", nil),
            ("Karin", nil), ("Dieter", nil),
        ], surnames: [
            "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
            "Hansen", "Nielsen", "Andersen", "Johansson", "Larsson", "Neumann", "Braun", "Schmitt", "Zimmermann",
            "Krüger", "von Bergen", "Björk", "Brännström", "Lindqvist", "Jensen", "Wolf",
        ]),
        Culture(weight: 3, given: [
            ("François", nil), ("Françoise", nil), ("Hélène", nil), ("Amélie", nil), ("Jean-Pierre", nil),
            ("Marie-Claire", nil), ("Léa", nil), ("Anaïs", nil), ("Gaëlle", nil), ("Benoît", nil), ("Jérôme", nil),
            ("Joël", nil), ("Noël", nil), ("André", nil), ("Camille", nil), ("Théo", nil), ("Chloé", nil),
            ("Mathieu", nil), ("Céline", nil), ("Guillaume", nil),
        ], surnames: [
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
            "Simon", "Laurent", "Lefebvre", "Michel", "Chevalier", "Fontaine", "Le Blanc", "Girard", "Lambert",
            "Bonnet", "Rousseau", "Mercier",
        ]),
        Culture(weight: 5, given: [
            ("Jun", nil), ("Wei", nil), ("Ying", nil), ("Li", nil), ("Xiu", nil), ("Na", nil), ("Hiroshi", nil),
            ("Yuki", nil), ("Sakura", nil), ("Aiko", nil), ("Haruto", nil), ("Yuna", nil), ("Min-jun", nil),
            ("Ji-woo", nil), ("Seo-yeon", nil), ("Hao", nil), ("Mei", nil), ("Jian", nil), ("Lan", nil), ("Kenji", nil),
            ("Takeshi", nil), ("Emi", nil), ("Hyun", nil), ("Soo-jin", nil),
        ], surnames: [
            "Li", "Wang", "Zhang", "Chen", "Liu", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Kim", "Lee", "Park",
            "Choi", "Jung", "Tanaka", "Suzuki", "Takahashi", "Watanabe", "Yamamoto", "Nakamura", "Sato", "Lo",
            "Chan", "Wong",
        ]),
        Culture(weight: 2, given: [
            ("Minh", nil), ("Linh", nil), ("Thảo", nil), ("Ngọc", nil), ("Tuấn", nil), ("Huy", nil), ("Lan", nil),
            ("Hương", nil), ("Quang", nil), ("Trang", nil), ("Dũng", nil), ("Mai", nil),
        ], surnames: ["Nguyen", "Tran", "Le", "Pham", "Hoàng", "Phan", "Vu", "Dang", "Bui", "Do", "Ngô", "Dương"]),
        Culture(weight: 3, given: [
            ("Priya", nil), ("Rahul", nil), ("Kavya", nil), ("Amit", nil), ("Ananya", nil), ("Arjun", nil),
            ("Deepa", nil), ("Sanjay", nil), ("Neha", nil), ("Vikram", nil), ("Pooja", nil), ("Rohan", nil),
            ("Aisha", nil), ("Fatima", nil), ("Omar", nil), ("Ravi", nil), ("Sunita", nil), ("Karan", nil),
        ], surnames: [
            "Patel", "Shah", "Singh", "Kumar", "Sharma", "Gupta", "Mehta", "Rao", "Reddy", "Joshi", "Iyer",
            "Khan", "Haddad", "Patel-Joshi", "Desai", "Nair",
        ]),
        Culture(weight: 2, given: [
            ("Paweł", nil), ("Łukasz", nil), ("Małgorzata", "Gosia"), ("Zoltán", nil), ("Jiří", nil), ("Dmitrij", nil),
            ("Katarzyna", "Kasia"), ("Agnieszka", nil), ("Tomasz", nil), ("Piotr", nil), ("Ewa", nil), ("Olga", nil),
            ("Ivan", nil), ("Natalia", nil), ("Magdalena", nil), ("Andrzej", nil),
        ], surnames: [
            "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Łukasiewicz", "Novák", "Svoboda", "Horváth",
            "Ivanov", "Petrov", "Kovács", "Yılmaz", "Dvořák",
        ]),
    ]

    /// Given names passed from father to son (Jr./Sr. pairs), with their nicknames.
    static let juniorNames: [(String, String?)] = [
        ("Robert", "Bob"), ("William", "Bill"), ("James", "Jim"), ("Michael", "Mike"), ("Richard", "Rick"),
        ("Thomas", "Tom"), ("Joseph", "Joe"), ("José", "Pepe"), ("Christopher", "Chris"), ("Anthony", "Tony"),
        ("Daniel", "Dan"), ("John", "Jack"), ("David", "Dave"), ("Charles", "Charlie"), ("Edward", "Ed"),
        ("George", nil), ("Henry", "Hank"), ("Kenneth", "Ken"), ("Ronald", "Ron"), ("Donald", "Don"),
        ("Juan", nil), ("Luis", nil), ("Carlos", nil), ("Walter", "Walt"), ("Frank", nil), ("Paul", nil),
    ]

    // MARK: Drawing

    private static let cultureTotal = cultures.reduce(0) { $0 + $1.weight }
    /// Zipf weights of each list as cumulative sums: given names 1 / (rank + 6), flatter than
    /// surnames, 1 / (rank + 1), whose head (Smith, Johnson) is as heavy as in the sample.
    private static let givenCumulative = cultures.map { cumulative($0.given.count, offset: 6) }
    private static let surnameCumulative = cultures.map { cumulative($0.surnames.count, offset: 1) }

    private static func cumulative(_ n: Int, offset: Double) -> [Double] {
        var sum = 0.0
        return (0..<n).map { k in sum += 1 / (Double(k) + offset); return sum }
    }

    private static func rank(_ cumulative: [Double], _ rng: inout SplitMix) -> Int {
        let x = rng.unit() * cumulative[cumulative.count - 1]
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] <= x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// A culture by weight.
    static func culture(_ rng: inout SplitMix) -> Int {
        var r = rng.below(cultureTotal)
        for (i, c) in cultures.enumerated() {
            if r < c.weight { return i }
            r -= c.weight
        }
        return 0
    }

    /// A given name (and its nickname) of a culture; one in ten from another culture.
    static func given(_ culture: Int, _ rng: inout SplitMix) -> (String, String?) {
        let c = rng.chance(0.1) ? Self.culture(&rng) : culture
        return cultures[c].given[rank(givenCumulative[c], &rng)]
    }

    /// A surname of a culture: one in twelve double-barrelled (`Brown-Smith`, `Wang-Anderson`).
    static func surname(_ culture: Int, _ rng: inout SplitMix) -> String {
        let first = cultures[culture].surnames[rank(surnameCumulative[culture], &rng)]
        guard rng.chance(0.08), !first.contains(" "), !first.contains("-") else { return first }
        let other = rng.chance(0.5) ? culture : 0
        let second = cultures[other].surnames[rank(surnameCumulative[other], &rng)]
        guard second != first, !second.contains(" "), !second.contains("-") else { return first }
        return first + "-" + second
    }
}
