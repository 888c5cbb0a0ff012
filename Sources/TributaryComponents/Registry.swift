import TributaryCore

/// Every component a pipeline file can name, in one explicit list: the single place to register a
/// new extractor or transform. The docs (`pipeline docs`) and validation are generated from it.
public enum Registry {
    public static let standard = ComponentCatalog(
        extractors: [
            CSVExtractor.self,
            JSONLinesExtractor.self,
            DelimitedExtractor.self,
            FixedWidthExtractor.self,
        ],
        transforms: [
            Trim.self,
            Lower.self,
            Upper.self,
            Rename.self,
            Drop.self,
            Filter.self,
            Email.self,
            Phone.self,
            Name.self,
            Country.self,
            Postcode.self,
            Address.self,
            MapValues.self,
            NullIf.self,
            Coalesce.self,
            Derive.self,
        ],
        rules: ValidityRules.self)
}
