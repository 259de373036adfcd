import Foundation
import Imaging

/// Files written by tools/make_image_fixtures.py into Fixtures/.
enum Fixture {
    struct Missing: Error, CustomStringConvertible {
        let name: String
        var description: String { "fixture \(name) not found; run tools/make_image_fixtures.py" }
    }

    struct Malformed: Error, CustomStringConvertible {
        let name: String
        var description: String { "fixture \(name) is malformed" }
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw Missing(name: name)
        }
        return [UInt8](try Data(contentsOf: url))
    }

    /// A binary PPM ("P6 width height 255" then RGB8 rows), as Pillow writes it.
    static func ppm(_ name: String) throws -> Image {
        let data = try bytes(name)
        var fields: [Int] = []
        var position = 2
        guard data.starts(with: Array("P6".utf8)) else { throw Malformed(name: name) }
        while fields.count < 3 {
            while position < data.count, data[position] == 0x20 || data[position] == 0x0A { position += 1 }
            var value = 0
            while position < data.count, (0x30...0x39).contains(data[position]) {
                value = value * 10 + Int(data[position] - 0x30)
                position += 1
            }
            fields.append(value)
        }
        let pixels = Array(data[(position + 1)...])
        guard fields[2] == 255, pixels.count == fields[0] * fields[1] * 3 else { throw Malformed(name: name) }
        return Image(width: fields[0], height: fields[1], pixels: pixels)
    }

    /// A 2-D little-endian float32 NumPy array (`np.save`, format 1.0) as a plane.
    static func npy(_ name: String) throws -> FloatPlane {
        let data = try bytes(name)
        guard data.count > 10, data.starts(with: [0x93] + Array("NUMPY".utf8)), data[6] == 1 else {
            throw Malformed(name: name)
        }
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        guard header.contains("'descr': '<f4'"), header.contains("'fortran_order': False"),
              let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")")
        else { throw Malformed(name: name) }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        guard shape.count == 2 else { throw Malformed(name: name) }
        let body = data[(10 + headerLength)...]
        guard body.count == shape[0] * shape[1] * 4 else { throw Malformed(name: name) }
        let values = body.withUnsafeBytes { raw in
            (0..<(shape[0] * shape[1])).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
        return FloatPlane(width: shape[1], height: shape[0], values: values)
    }
}

/// `nil` when the images are equal, otherwise how they differ (short enough for a test log).
func mismatch(_ actual: Image, _ expected: Image) -> String? {
    guard actual.width == expected.width && actual.height == expected.height else {
        return "size \(actual.width)x\(actual.height), expected \(expected.width)x\(expected.height)"
    }
    let differences = zip(actual.pixels, expected.pixels).map { abs(Int($0) - Int($1)) }.filter { $0 > 0 }
    guard let largest = differences.max() else { return nil }
    return "\(differences.count) of \(actual.pixels.count) bytes differ, by up to \(largest)"
}
