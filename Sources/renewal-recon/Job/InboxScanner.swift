import Foundation

/// SPEC §3.1: the files of the inbox that are ready to read.
enum InboxScanner {
    /// - Throws: `ConfigError` where `folder` is no folder: a path named wrong would otherwise
    ///   pass every night for one that received nothing. `run` asks before it opens the store.
    static func check(_ folder: URL) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ConfigError("inbox_dir \(folder.path) is not a folder (create it, or correct inbox_dir)")
        }
    }

    /// Regular files directly in `folder`, except dot-files, `*.part`, `*.tmp` and files modified
    /// less than `minimumAge` seconds before `now`; sorted by name so runs are repeatable.
    static func readyFiles(in folder: URL, minimumAge: Int, now: Date) throws -> [URL] {
        try check(folder)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.compactMap { name in
            guard !name.hasPrefix("."), !name.hasSuffix(".part"), !name.hasSuffix(".tmp") else { return nil }
            let url = folder.appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let modified = attributes[.modificationDate] as? Date,
                  now.timeIntervalSince(modified) >= Double(minimumAge) else { return nil }
            return url
        }
    }
}
