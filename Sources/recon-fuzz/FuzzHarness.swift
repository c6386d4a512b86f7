import Foundation
import ReconCore
import ReconIngest

/// Feeds arbitrary bytes to the settlement readers (camt XML and every CSV profile) and checks
/// what must hold whatever the input: a file is either refused with a reason or read into
/// records that are complete or say why not.
///
/// Built with `scripts/fuzz` (libFuzzer, `-sanitize=fuzzer`); a plain build replays files
/// given as arguments, so a crash the fuzzer found can be rerun in a debugger.
enum FuzzHarness {
    static let reader = SettlementFileReader(
        options: ReadOptions(settlementTimeZone: TimeZone(identifier: "Asia/Tokyo") ?? .gmt, maxFileBytes: 1 << 20),
        csvProfiles: [CSVProfile(
            name: "fuzz-cp932", matchColumns: ["取引ID"], delimiter: ";", encoding: .cp932, decimalSeparator: ",",
            columns: [.transactionID: "取引ID", .amount: "金額", .currency: "通貨", .type: "種別", .bookingDate: "計上日"],
            types: ["売上": .credit, "返金": .bySign], bookingDates: [.init(column: "計上日")], dateFormat: "yyyy/MM/dd")])

    static func run(_ bytes: [UInt8]) {
        var emitted = 0
        do {
            let summary = try reader.read(bytes: bytes) { record in
                emitted += 1
                precondition(record.line >= 1, "a record without a line")
                if record.problem == nil {
                    precondition(record.amount != nil && record.bookedOn != nil, "a valid record without amount or date")
                    precondition(record.amount?.currency.code == record.currencyCode, "amount and currency disagree")
                }
                _ = record.recordID
            }
            precondition(summary.records == emitted, "the summary miscounts the records")
        } catch {
            precondition(!error.reason.isEmpty, "a rejection without a reason")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    FuzzHarness.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if FUZZING
/// libFuzzer's entry for a program that keeps its own `main` (SwiftPM names the executable's).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
#endif

@main
struct FuzzMain {
    static func main() throws {
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv, fuzzOneInput))
        #else
        for path in CommandLine.arguments.dropFirst() {
            FuzzHarness.run(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            print("ok \(path)")
        }
        #endif
    }
}
