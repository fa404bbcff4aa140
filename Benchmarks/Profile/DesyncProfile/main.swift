// A plain driver for profilers (perf, valgrind --tool=callgrind): runs one benchmark workload's
// desync side without the benchmark harness, so the profile shows desync and nothing else.
//
//   .build/release/DesyncProfile sync|busysync|async1|async1000|future|await COUNT
import Desync

#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
guard arguments.count == 3, let count = Int(arguments[2]) else {
    print("usage: DesyncProfile sync|busysync|async1|async1000|future|await COUNT")
    exit(2)
}

switch arguments[1] {
case "sync":
    let object = Desync(0)
    for index in 0..<count {
        _ = object.sync { value in value &+= index; return value }
    }
    print(object.sync { $0 })
case "busysync":
    // A sync behind a queued job: the slow path (with 0 threads, the caller runs the queue).
    let object = Desync(0)
    for index in 0..<count {
        object.async { value in value &+= 1 }
        _ = object.sync { value in value &+= index; return value }
    }
    print(object.sync { $0 })
case "async1":
    let object = Desync(0)
    for index in 0..<count {
        object.async { value in value &+= index }
    }
    print(object.sync { $0 })
case "async1000":
    let objects = (0..<1000).map { _ in Desync(0) }
    for index in 0..<count {
        objects[index % 1000].async { value in value &+= index }
    }
    print(objects.reduce(0) { total, object in total &+ object.sync { $0 } })
case "future":
    let object = Desync(0)
    var last = 0
    for index in 0..<count {
        last = try object.future { value in value &+= index; return value }.wait()
    }
    print(last)
case "await":
    let object = Desync(0)
    var last = 0
    for index in 0..<count {
        last = try await object.future { value in value &+= index; return value }.value
    }
    print(last)
default:
    print("unknown workload \(arguments[1])")
    exit(2)
}
