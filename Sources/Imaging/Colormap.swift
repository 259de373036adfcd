/// Maps a value in [0, 1] to a colour through a 256-entry RGB8 table.
public enum Colormap: String, CaseIterable, Sendable {
    /// OpenCV's COLORMAP_JET, as pytorch-grad-cam uses: blue (0) to red (1). The default.
    case jet
    /// Google's Turbo: an improved rainbow.
    case turbo
    /// matplotlib's perceptually uniform viridis.
    case viridis
    /// matplotlib's perceptually uniform inferno.
    case inferno
    /// Black (0) to white (1).
    case gray

    public static let `default` = Colormap.jet

    /// The colormap called `name` (case-insensitive), or `nil`: for validating CLI and HTTP input.
    public init?(name: String) {
        self.init(rawValue: name.lowercased())
    }

    /// The accepted names, for help texts and error messages.
    public static var allNames: [String] { allCases.map(\.rawValue) }

    /// 768 bytes: entry `i` is `table[3i], table[3i + 1], table[3i + 2]` (R, G, B).
    public var table: [UInt8] {
        switch self {
        case .jet: ColormapTables.jet
        case .turbo: ColormapTables.turbo
        case .viridis: ColormapTables.viridis
        case .inferno: ColormapTables.inferno
        case .gray: ColormapTables.gray
        }
    }

    /// The table entry for `value`: `Int(255 * v)` truncated after clamping `v` to [0, 1], the
    /// `np.uint8(255 * mask)` of pytorch-grad-cam; NaN maps to 0.
    @inline(__always)
    public static func index(for value: Float) -> Int {
        let scaled = 255 * value
        return scaled >= 255 ? 255 : (scaled > 0 ? Int(scaled) : 0)
    }

    /// The colour of `value` (see `index(for:)`).
    public func color(for value: Float) -> (red: UInt8, green: UInt8, blue: UInt8) {
        let entry = Colormap.index(for: value) * 3
        let table = self.table
        return (table[entry], table[entry + 1], table[entry + 2])
    }
}
