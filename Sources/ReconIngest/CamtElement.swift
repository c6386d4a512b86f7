/// The camt element names the reader cares about, interned once per start tag so that
/// paths are compared as small integers, never as strings.
enum CamtElement: UInt8 {
    case other
    case document, ntry, ntryDtls, txDtls, btch
    case ntryRef, amt, cdtDbtInd, rvslInd, sts, cd, bookgDt, valDt, dt, dtTm, acctSvcrRef
    case addtlNtryInf, refs, txID, endToEndID, rmtInf, strd, cdtrRefInf, ref, ustrd, amtDtls, txAmt, addtlTxInf
    case nbOfTxs, ttlAmt
    case stmt, ntfctn, txsSummry, ttlNtries, ttlCdtNtries, ttlDbtNtries, ttlNetNtry, ttlNetNtryAmt, nbOfNtries, sum
    case prtry

    private static let names: [(String, CamtElement)] = [
        ("Document", .document), ("Ntry", .ntry), ("NtryDtls", .ntryDtls), ("TxDtls", .txDtls), ("Btch", .btch),
        ("NtryRef", .ntryRef), ("Amt", .amt), ("CdtDbtInd", .cdtDbtInd), ("RvslInd", .rvslInd), ("Sts", .sts),
        ("Cd", .cd), ("BookgDt", .bookgDt), ("ValDt", .valDt), ("Dt", .dt), ("DtTm", .dtTm),
        ("AcctSvcrRef", .acctSvcrRef), ("AddtlNtryInf", .addtlNtryInf), ("Refs", .refs), ("TxId", .txID),
        ("EndToEndId", .endToEndID), ("RmtInf", .rmtInf), ("Strd", .strd), ("CdtrRefInf", .cdtrRefInf),
        ("Ref", .ref), ("Ustrd", .ustrd), ("AmtDtls", .amtDtls), ("TxAmt", .txAmt), ("AddtlTxInf", .addtlTxInf),
        ("NbOfTxs", .nbOfTxs), ("TtlAmt", .ttlAmt), ("Stmt", .stmt), ("Ntfctn", .ntfctn),
        ("TxsSummry", .txsSummry), ("TtlNtries", .ttlNtries), ("TtlCdtNtries", .ttlCdtNtries),
        ("TtlDbtNtries", .ttlDbtNtries), ("TtlNetNtry", .ttlNetNtry), ("TtlNetNtryAmt", .ttlNetNtryAmt),
        ("NbOfNtries", .nbOfNtries), ("Sum", .sum), ("Prtry", .prtry),
    ]
    private static let table: [(name: [UInt8], element: CamtElement)] = names.map { (Array($0.0.utf8), $0.1) }

    /// Interns a NUL-terminated local name from libxml2.
    static func lookup(_ name: UnsafePointer<UInt8>) -> CamtElement {
        var length = 0
        while name[length] != 0 { length += 1 }
        for entry in table where entry.name.count == length && entry.name[0] == name[0] {
            if entry.name.withUnsafeBufferPointer({ memcmp($0.baseAddress!, name, length) == 0 }) {
                return entry.element
            }
        }
        return .other
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
