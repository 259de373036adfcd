/// Label Studio's brush mask encoding: the RGBA bytes of the image (`width x height x 4`,
/// row-major) packed with thi.ng's `rle-pack`, as `label_studio_sdk.converter.brush.encode_rle`
/// writes it and Label Studio's front end and `decode_rle` read it.
///
/// Bit stream, most significant bit first: `count` (32 bits: the number of bytes, `4 x width x height`),
/// `wordSize - 1` (5 bits: 7), the four run-length field sizes minus one (4 bits each: 3, 4, 8, 16 → 2, 3, 7, 15);
/// then per run of `n` equal bytes: a single byte as `0 00 000 value` (a literal chunk of one),
/// a longer run as `1 t (n-1) value` with `t` the smallest field index whose size holds `n - 1`
/// (runs past 2^16 are split); zero bits pad to a whole byte, and a whole zero byte when the
/// stream already ends on one (as `encode_rle` does).
public enum LabelStudioRLE {
    static let wordSize = 8
    static let runSizes = [3, 4, 8, 16]

    /// Encodes a mask: set pixels become RGBA `255, 255, 255, 255`, the others `0, 0, 0, 0`.
    /// `runs` gives the mask row-major as alternating run lengths in pixels, starting with an
    /// unset run (only it may be 0); their sum is the pixel count.
    public static func encode(pixelRuns runs: [Int]) -> [UInt8] {
        var writer = BitWriter()
        let pixels = runs.reduce(0, +)
        writer.write(UInt64(pixels * 4), bits: 32)
        writer.write(UInt64(wordSize - 1), bits: 5)
        for size in runSizes { writer.write(UInt64(size - 1), bits: 4) }
        for (index, length) in runs.enumerated() where length > 0 {
            writeRun(&writer, count: length * 4, value: index % 2 == 0 ? 0 : 255)
        }
        writer.finish()
        return writer.bytes
    }

    /// One run of `count` equal bytes. Like `encode_rle`: a run of one is a literal, a run of up
    /// to 256 takes the smallest field that holds it, a longer one is written in pieces of at
    /// most 2^16, each with the 16-bit field.
    private static func writeRun(_ writer: inout BitWriter, count: Int, value: UInt8) {
        if count == 1 {
            writer.write(0, bits: 1 + 2 + runSizes[0])
            writer.write(UInt64(value), bits: wordSize)
            return
        }
        var left = count
        while left > 0 {
            let n = min(left, 1 << runSizes[3])
            let kind = count <= 1 << runSizes[2] ? runSizes.firstIndex { n - 1 < 1 << $0 } ?? 3 : 3
            writer.write(1, bits: 1)
            writer.write(UInt64(kind), bits: 2)
            writer.write(UInt64(n - 1), bits: runSizes[kind])
            writer.write(UInt64(value), bits: wordSize)
            left -= n
        }
    }

    /// Row-major run lengths (unset first) of `width x height` pixels, set where `isSet(x, y)`.
    public static func runs(width: Int, height: Int, isSet: (Int, Int) -> Bool) -> [Int] {
        var runs: [Int] = []
        var current = false, length = 0
        for y in 0..<height {
            for x in 0..<width {
                let value = isSet(x, y)
                if value != current {
                    runs.append(length)
                    current = value
                    length = 0
                }
                length += 1
            }
        }
        runs.append(length)
        return runs
    }
}

/// Bits appended most significant first.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private var used = 8

    mutating func write(_ value: UInt64, bits: Int) {
        for shift in stride(from: bits - 1, through: 0, by: -1) {
            if used == 8 {
                bytes.append(0)
                used = 0
            }
            if (value >> UInt64(shift)) & 1 == 1 { bytes[bytes.count - 1] |= 0x80 >> UInt8(used) }
            used += 1
        }
    }

    /// Ends the stream as `encode_rle` does: zero bits up to the next whole byte, or a whole
    /// zero byte when the last one is full.
    mutating func finish() {
        if used == 8 { bytes.append(0) }
        used = 8
    }
}
