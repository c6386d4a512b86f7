import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file read in fixed-size chunks with `read(2)` straight into each chunk (`FileHandle`
/// would read into `Data` first, a second copy of every byte): settlement files, their
/// SHA-256, and the order and license exports all read this way.
final class FileChunks: Sequence, IteratorProtocol {
    /// Why the file could not be read on.
    struct Failure: LocalizedError {
        var reason: String
        var errorDescription: String? { reason }
    }

    private let handle: FileHandle
    private let size: Int
    /// Set when `next()` stopped at a failed read rather than at the end of the file.
    private(set) var failure: Failure?

    init(_ url: URL, size: Int) throws {
        handle = try FileHandle(forReadingFrom: url)
        self.size = size
    }

    deinit { try? handle.close() }

    /// The next chunk (`size` bytes, fewer at the end), nil at the end of the file.
    func read() throws(Failure) -> [UInt8]? {
        let descriptor = handle.fileDescriptor
        var error: Int32 = 0
        let chunk = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = 0
            while count < size {
                let got = Glibc.read(descriptor, buffer.baseAddress! + count, size - count)
                if got > 0 {
                    count += got
                } else if got == 0 {
                    break
                } else if errno != EINTR {
                    error = errno
                    break
                }
            }
        }
        guard error == 0 else { throw Failure(reason: String(cString: strerror(error))) }
        return chunk.isEmpty ? nil : chunk
    }

    /// The next chunk; nil at the end, or at a failed read, which `failure` then holds.
    func next() -> [UInt8]? {
        do {
            return try read()
        } catch {
            failure = error
            return nil
        }
    }
}

extension Unicode.UTF8 {
    /// The UTF-8 byte order mark, which a file may start with and whose reader skips it.
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
}

extension Error {
    /// The system's words for why a file could not be opened or read ("No such file or
    /// directory", "Permission denied"), for messages that name the file.
    public var systemReason: String {
        // Foundation reports some without the POSIX error beneath (a missing file's attributes).
        switch (self as? CocoaError)?.code {
        case .fileNoSuchFile?, .fileReadNoSuchFile?: return String(cString: strerror(ENOENT))
        case .fileReadNoPermission?: return String(cString: strerror(EACCES))
        default: break
        }
        let error = self as NSError
        if let posix = error.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        return error.localizedDescription
    }
}
