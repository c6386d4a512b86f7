import CLibXML2
import Foundation
import ReconCore

/// Reads camt.053 / camt.054 through libxml2's SAX2 push parser: the file is fed in chunks
/// and only the current entry is held in memory.
///
/// libxml2 runs on a thread of its own and hands each closed entry over as a `CamtEvent`;
/// the thread that called `read` turns them into records (`CamtRecordBuilder`), so parsing and
/// building records use both cores.
final class CamtReader {
    /// The parser context, for line numbers inside callbacks.
    var context: xmlParserCtxtPtr?
    var stack: [CamtElement] = []
    /// The path-trie node of each open element (-1: on no field's path).
    var nodes: [Int32] = []
    /// libxml2 interns element names in its dictionary: one pointer per name and parse. A
    /// direct-mapped table of those pointers turns a start tag into its element without hashing.
    private var names = [(name: UnsafeRawPointer?, element: CamtElement)](repeating: (nil, .other), count: 256)
    /// The field paths, held here so that a callback reads them without touching a global.
    let trie = CamtField.trie
    /// Stack indexes of the open `Stmt`/`Ntfctn`, `Ntry` and `TxDtls`, when inside one.
    var reportDepth: Int?
    var entryDepth: Int?
    var transactionDepth: Int?
    /// What the open report's `TxsSummry` declares.
    var declared = ReportSummary.Declared()
    var reportNumber = 0
    var entryNumber = 0
    /// Events not yet handed over, and where they go.
    private var pending: [CamtEvent] = []
    private var handoff: BoundedQueue<Handoff>?
    var entry = CamtEntry()
    var transaction = CamtEntry.Transaction()
    var capturing = false
    /// Where the field being captured starts in the entry's text.
    var captureStart = 0
    /// The text of a report-level field (`TxsSummry`), captured outside any entry.
    var text: [UInt8] = []
    /// The `Ccy` of the entry's latest `Amt`, in the entry's text.
    var currency = CamtEntry.Span(start: 0, count: 0)

    var kind: String?
    var version: String?
    var refusal: String?
    /// Where the root element's start tag ends (libxml2 reports its callback there): what a
    /// document in no camt namespace is refused at.
    private var rootPosition: (line: Int, column: Int)?

    static let maximumDepth = 64
    /// No camt field a record reads is anywhere near this long; memory stays bounded per entry.
    static let maximumFieldBytes = 64 * 1024
    /// Entries per hand-over: few enough to keep memory small, enough to make locking rare.
    static let entriesPerHandoff = 64

    private enum Handoff {
        case events([CamtEvent])
        case finished(FileRejection?)
    }

    /// Parses `chunks` (the file in order) on a thread of its own and passes the events, in
    /// document order, to `deliver` on this thread; throws a `FileRejection` for a file that is
    /// not a well-formed camt.053/054, after delivering what was read before the problem.
    func read(_ chunks: some Sequence<[UInt8]>, deliver: ([CamtEvent]) -> Void) throws(FileRejection) {
        let queue = BoundedQueue<Handoff>(capacity: 4)
        handoff = queue
        let work = HandedOver(value: (reader: self, chunks: AnyIterator(chunks.makeIterator())))
        let thread = Thread {
            let rejection: FileRejection?
            do throws(FileRejection) {
                try work.value.reader.parse(work.value.chunks)
                rejection = nil
            } catch {
                rejection = error
            }
            work.value.reader.handOver()
            queue.push(.finished(rejection))
        }
        thread.stackSize = 4 << 20
        thread.start()
        while true {
            switch queue.pop() {
            case .events(let events): deliver(events)
            case .finished(let rejection?): throw rejection
            case .finished(nil): return
            }
        }
    }

    /// libxml2's settings for the whole process, made once, before the first parse.
    private static let processSettings: Void = recon_libxml2_read_shift_jis_as_cp932()

    private func parse(_ chunks: AnyIterator<[UInt8]>) throws(FileRejection) {
        _ = Self.processSettings
        recon_libxml2_silence_generic_errors()
        var handler = xmlSAXHandler()
        handler.initialized = UInt32(XML_SAX2_MAGIC)
        handler.startElementNs = camtStartElement
        handler.endElementNs = camtEndElement
        handler.characters = camtCharacters
        handler.internalSubset = camtRefuseDTD
        handler.serror = { _, _ in }  // errors are read from the context at the end
        let unmanaged = Unmanaged.passUnretained(self)
        guard let ctxt = xmlCreatePushParserCtxt(&handler, unmanaged.toOpaque(), nil, 0, nil) else {
            throw FileRejection(reason: "the XML parser could not start")
        }
        defer { xmlFreeParserCtxt(ctxt) }
        context = ctxt
        // No network, no entity substitution, no DTD loading; libxml2's default depth limit stays on.
        xmlCtxtUseOptions(ctxt, Int32(XML_PARSE_NONET.rawValue) | Int32(XML_PARSE_NOCDATA.rawValue))
        var status: Int32 = 0
        var attributes = AttributeGuard()
        for chunk in chunks where status == 0 && refusal == nil {
            if let unread = attributes.unreadEncoding(of: chunk) {
                throw FileRejection(reason: unread, line: 1, column: 1)
            }
            status = chunk.withUnsafeBufferPointer { buffer in
                let admitted = attributes.refusal(in: buffer)
                let status = buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    xmlParseChunk(ctxt, $0, Int32(admitted ?? buffer.count), 0)
                }
                // Unless the bytes before the element were refused first, where they stopped.
                if admitted != nil, status == 0, refusal == nil {
                    refusal = "an element with more than \(AttributeGuard.limit) attributes, or a text holding as many '=' (not a settlement file)"
                }
                return status
            }
        }
        if status == 0, refusal == nil { status = xmlParseChunk(ctxt, nil, 0, 1) }
        if let refusal {
            throw FileRejection(reason: refusal, line: Int(xmlSAX2GetLineNumber(ctxt)), column: Int(xmlSAX2GetColumnNumber(ctxt)))
        }
        if status != 0 || ctxt.pointee.wellFormed == 0 {
            throw FileRejection.fromLibXML(ctxt, openElements: stack.count, begun: rootPosition != nil)
        }
        guard kind != nil else {
            throw FileRejection(reason: "not a camt.053 or camt.054 document (no Document element in a camt.05[34].001 namespace)",
                                line: rootPosition?.line ?? 1, column: rootPosition?.column ?? 1)
        }
    }

    // MARK: Callback bodies

    fileprivate func start(_ name: UnsafePointer<UInt8>, uri: UnsafePointer<UInt8>?, attributes: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, count: Int) {
        let element = intern(name)
        let depth = stack.count
        stack.append(element)
        if depth == 0, let context { rootPosition = (Int(xmlSAX2GetLineNumber(context)), Int(xmlSAX2GetColumnNumber(context))) }
        // A path starts at Ntry, TxDtls or a report's TxsSummry; below, each tag moves one step.
        let anchored = switch element {
        case .ntry: entryDepth == nil
        case .txDtls: entryDepth != nil && transactionDepth == nil && depth > 0 && stack[depth - 1] == .ntryDtls
        case .txsSummry: reportDepth == depth - 1 && entryDepth == nil
        default: false
        }
        nodes.append(trie.child(of: anchored ? 0 : (nodes.last ?? -1), element))
        // libxml2's own depth limit guards only its pull parser; camt nests about 15 deep.
        guard depth < Self.maximumDepth else {
            refuse("elements nest deeper than \(Self.maximumDepth) levels (excessive depth)")
            return
        }
        if element == .document, kind == nil, let uri {
            detectNamespace(String(cString: uri))
            return
        }
        guard kind != nil else { return }
        switch element {
        case .stmt where reportDepth == nil && entryDepth == nil, .ntfctn where reportDepth == nil && entryDepth == nil:
            reportDepth = depth
            reportNumber += 1
            entryNumber = 0
            declared = ReportSummary.Declared()
            declared.line = line
            pending.append(.reportStart)
            return
        case .ntry where entryDepth == nil:
            entryDepth = depth
            entryNumber += 1
            entry = CamtEntry()
            entry.line = line
            currency = CamtEntry.Span(start: 0, count: 0)
            return
        case .txDtls where entryDepth != nil && transactionDepth == nil && stack[depth - 1] == .ntryDtls:
            transactionDepth = depth
            transaction = CamtEntry.Transaction()
            transaction.line = line
            transaction.ustrd = entry.ustrd.count..<entry.ustrd.count
            return
        case .btch where transactionDepth == nil && entryDepth.map({ $0 + 2 == depth }) == true && stack[depth - 1] == .ntryDtls:
            entry.batches.append(CamtEntry.Batch(line: line, first: entry.transactions.count))
        case .ntryDtls where transactionDepth == nil:
            closeBatch()
        default:
            break
        }
        guard entryDepth != nil || reportDepth != nil else { return }
        if entryDepth != nil {
            // A tag inside a field restarts it (`Sts` holding `Cd`): the field is its innermost text.
            if capturing { entry.text.removeSubrange(captureStart...) }
            // An amount's currency is its own `Ccy`, not that of an amount before it.
            if element == .amt || element == .ttlAmt {
                currency = entry.append(attributes.flatMap { attribute("Ccy", $0, count) } ?? UnsafeBufferPointer(start: nil, count: 0))
            }
            captureStart = entry.text.count
        } else {
            text.removeAll(keepingCapacity: true)
        }
        capturing = fieldPath() != nil
    }

    fileprivate func end() {
        defer {
            stack.removeLast()
            nodes.removeLast()
        }
        let depth = stack.count - 1
        if depth == transactionDepth {
            entry.transactions.append(transaction)
            transactionDepth = nil
            return
        }
        if depth == entryDepth {
            closeBatch()
            finishEntry()
            entryDepth = nil
            return
        }
        if depth == reportDepth {
            pending.append(.reportEnd(declared, CamtPosition(report: reportName, reportNumber: reportNumber)))
            reportDepth = nil
            return
        }
        if stack[depth] == .ntryDtls, transactionDepth == nil { closeBatch() }
        guard capturing, let field = fieldPath() else { return }
        capturing = false
        if entryDepth != nil {
            store(entry.trimmedSpan(from: captureStart), in: field)
        } else {
            store(Self.trimmed(text), in: field)
        }
    }

    fileprivate func characters(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard capturing else { return }
        let held = entryDepth != nil ? entry.text.count - captureStart : text.count
        guard held + bytes.count <= Self.maximumFieldBytes else {
            refuse("a field is longer than \(Self.maximumFieldBytes) bytes")
            capturing = false
            return
        }
        if entryDepth != nil {
            entry.text.append(contentsOf: bytes)
        } else {
            text.append(contentsOf: bytes)
        }
    }

    private var line: Int { context.map { Int(xmlSAX2GetLineNumber($0)) } ?? 0 }

    private func intern(_ name: UnsafePointer<UInt8>) -> CamtElement {
        let pointer = UnsafeRawPointer(name)
        let slot = Int(truncatingIfNeeded: (UInt64(UInt(bitPattern: pointer)) &* 0x9E37_79B9_7F4A_7C15) >> 56)
        if names[slot].name == pointer { return names[slot].element }
        let element = CamtElement.lookup(name)
        names[slot] = (pointer, element)
        return element
    }

    /// XML white space trimmed from both ends, then UTF-8 decoded.
    static func trimmed(_ bytes: [UInt8]) -> String {
        var start = 0, end = bytes.count
        while start < end, CamtEntry.isBlank(bytes[start]) { start += 1 }
        while end > start, CamtEntry.isBlank(bytes[end - 1]) { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// Refuses the file where it is being read: libxml2 stops there, so the position the
    /// refusal gives is the element's (it went on to the end of the chunk before).
    fileprivate func refuse(_ reason: String) {
        refusal = reason
        if let context { xmlStopParser(context) }
    }

    private func detectNamespace(_ uri: String) {
        let prefix = "urn:iso:std:iso:20022:tech:xsd:camt."
        guard uri.hasPrefix(prefix) else { return }
        let rest = uri.dropFirst(prefix.count)  // e.g. 054.001.08
        let parts = rest.split(separator: ".")
        guard parts.count == 3, parts[0] == "053" || parts[0] == "054", parts[1] == "001",
              let number = Int(parts[2]) else { return }
        guard number >= 2 else {
            refuse("camt.\(parts[0]).001.\(parts[2]) is older than the supported versions (.001.02 on)")
            return
        }
        kind = "camt.\(parts[0])"
        version = "\(parts[1]).\(parts[2])"
    }

    /// The value of attribute `name` (no namespace) among libxml2's five pointers per attribute.
    private func attribute(_ name: StaticString, _ attributes: UnsafeMutablePointer<UnsafePointer<UInt8>?>, _ count: Int) -> UnsafeBufferPointer<UInt8>? {
        for index in 0..<count {
            let base = index * 5
            guard let local = attributes[base], let start = attributes[base + 3], let end = attributes[base + 4],
                  strcmp(UnsafeRawPointer(local).assumingMemoryBound(to: CChar.self),
                         UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)) == 0 else { continue }
            return UnsafeBufferPointer(start: start, count: end - start)
        }
        return nil
    }

    /// Ends the open `Btch` at the `TxDtls` read so far (its `NtryDtls` closed, or another began).
    private func closeBatch() {
        guard let last = entry.batches.indices.last, entry.batches[last].end == nil else { return }
        entry.batches[last].end = entry.transactions.count
    }

    private var reportName: String { kind == "camt.053" ? "Stmt" : "Ntfctn" }

    private func finishEntry() {
        pending.append(.entry(entry, CamtPosition(report: reportName, reportNumber: reportNumber, entryNumber: entryNumber)))
        if pending.count >= Self.entriesPerHandoff { handOver() }
    }

    /// Passes the pending events to the thread that builds records.
    private func handOver() {
        guard !pending.isEmpty, let handoff else { return }
        handoff.push(.events(pending))
        pending.removeAll(keepingCapacity: true)
    }
}

/// A file refused whole, with where the problem is.
public struct FileRejection: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: String
    public var line: Int?
    public var column: Int?

    public init(reason: String, line: Int? = nil, column: Int? = nil) {
        self.reason = reason
        self.line = line
        self.column = column
    }

    public var description: String {
        var text = reason
        if let line { text += " (line \(line)" + (column.map { ", column \($0)" } ?? "") + ")" }
        return text
    }

    /// libxml2's last error, with its position. `openElements`: the elements begun and not
    /// ended when the parse stopped; `begun`: whether the document's element had begun.
    static func fromLibXML(_ ctxt: xmlParserCtxtPtr, openElements: Int, begun: Bool) -> FileRejection {
        guard let error = xmlCtxtGetLastError(ctxt) else {
            return FileRejection(reason: "the XML is not well-formed", line: Int(xmlSAX2GetLineNumber(ctxt)),
                                 column: Int(xmlSAX2GetColumnNumber(ctxt)))
        }
        var message = error.pointee.message.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) }
        // libxml2 2.9 says "Extra content at the end of the document" also where the input ends
        // before the document does (later versions: "Premature end of data in tag"): a file cut
        // off in transfer, which is what to tell.
        let atTheEnd = [XML_ERR_DOCUMENT_END, XML_ERR_TAG_NOT_FINISHED].map { Int32($0.rawValue) }
        if atTheEnd.contains(error.pointee.code), openElements > 0 {
            let innermost = ctxt.pointee.name.map { " inside <\(String(cString: $0))>" } ?? ""
            message = "the file ends\(innermost) with \(openElements) element(s) still open: it is cut off"
        } else if atTheEnd.contains(error.pointee.code), !begun {
            message = "the file ends before its document's first element: it is cut off"
        }
        return FileRejection(reason: "not well-formed XML: " + (message ?? "error \(error.pointee.code)"),
                             line: Int(error.pointee.line), column: Int(error.pointee.int2))
    }
}

// C callbacks: each recovers the reader from the user-data pointer and hands off at once.

/// The reader, borrowed: `read` holds it for the whole parse, so the callbacks (tens of
/// millions a day) need not retain and release it.
@inline(__always)
private func withReader(_ context: UnsafeMutableRawPointer?, _ body: (CamtReader) -> Void) {
    Unmanaged<CamtReader>.fromOpaque(context!)._withUnsafeGuaranteedRef(body)
}

private let camtStartElement: startElementNsSAX2Func = { context, localname, _, uri, _, _, attributeCount, _, attributes in
    guard let localname else { return }
    withReader(context) { $0.start(localname, uri: uri, attributes: attributes, count: Int(attributeCount)) }
}

private let camtEndElement: endElementNsSAX2Func = { context, _, _, _ in
    withReader(context) { $0.end() }
}

private let camtCharacters: charactersSAXFunc = { context, bytes, length in
    guard let bytes else { return }
    withReader(context) { $0.characters(UnsafeBufferPointer(start: bytes, count: Int(length))) }
}

private let camtRefuseDTD: internalSubsetSAXFunc = { context, _, _, _ in
    withReader(context) { camt in
        camt.refuse("a document type declaration (DTD) is not allowed in a settlement file")
    }
}
