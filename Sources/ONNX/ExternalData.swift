import Foundation

/// Weights stored beside the model (`TensorProto.data_location = EXTERNAL`).
///
/// The `location` must name a file inside the model's own folder: absolute paths, `..`
/// and symbolic links that lead outside are refused, so a model cannot make the
/// service read arbitrary files.
enum ExternalData {
    /// Reads the tensor's bytes.
    static func read(_ proto: Onnx_TensorProto, directory: String) throws -> Data {
        let name = proto.name
        var entries: [String: String] = [:]
        for entry in proto.externalData { entries[entry.key] = entry.value }
        guard let location = entries["location"], !location.isEmpty else {
            throw ONNXError.externalData(tensor: name, reason: "no 'location' given")
        }
        guard !location.hasPrefix("/"), !location.split(separator: "/").contains("..") else {
            throw ONNXError.externalData(tensor: name, reason: "location '\(location)' must be a relative path inside the model's folder")
        }
        let folder = URL(fileURLWithPath: directory).resolvingSymlinksInPath().standardizedFileURL.path
        let file = URL(fileURLWithPath: folder).appendingPathComponent(location).resolvingSymlinksInPath().standardizedFileURL.path
        guard file.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/") else {
            throw ONNXError.externalData(tensor: name, reason: "location '\(location)' resolves outside the model's folder")
        }
        guard let offset = Int(entries["offset"] ?? "0"), offset >= 0 else {
            throw ONNXError.externalData(tensor: name, reason: "invalid offset '\(entries["offset"] ?? "")'")
        }
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw ONNXError.externalData(tensor: name, reason: "cannot open '\(location)'")
        }
        defer { try? handle.close() }
        let size = Int((try? handle.seekToEnd()) ?? 0)
        let length: Int
        if let text = entries["length"] {
            guard let value = Int(text), value >= 0 else {
                throw ONNXError.externalData(tensor: name, reason: "invalid length '\(text)'")
            }
            length = value
        } else {
            length = size - offset
        }
        guard offset <= size, length <= size - offset else {
            throw ONNXError.externalData(tensor: name, reason: "bytes \(offset)..<\(offset + length) lie beyond the end of '\(location)' (\(size) bytes)")
        }
        try handle.seek(toOffset: UInt64(offset))
        let data = try handle.read(upToCount: length) ?? Data()
        guard data.count == length else {
            throw ONNXError.externalData(tensor: name, reason: "read \(data.count) of \(length) bytes from '\(location)'")
        }
        return data
    }
}
