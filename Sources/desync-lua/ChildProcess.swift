#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One run of a program as a child process (posix_spawn, no shell): stdin from /dev/null, stdout
/// and stderr captured (their last bytes), a real-time limit after which the child is killed.
struct ChildProcess {
    /// How a run ended.
    enum Ending: Equatable {
        case exited(Int32)
        case signalled(Int32)
        /// Killed because this process was interrupted (Ctrl-C, SIGTERM).
        case interrupted
        /// Still running at the time limit, so killed.
        case timedOut
        /// posix_spawn or a pipe failed: the message says why.
        case notStarted(String)
    }

    struct Outcome {
        var ending: Ending
        /// The last bytes the child wrote (at most `keptBytes` of each stream).
        var stdout: [UInt8]
        var stderr: [UInt8]
    }

    /// What is kept of each stream: the end of a long output is where a failure shows.
    static let keptBytes = 64 * 1024

    /// Runs `path` with `arguments` (`arguments[0]` is the child's `argv[0]`) in this process's
    /// environment, with every signal's handling back to the default, and waits for its end or
    /// `timeout` seconds, whichever comes first.
    static func run(_ path: String, arguments: [String], timeout: Double) -> Outcome {
        var output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1]
        guard makePipe(&output) else { return failed("pipe") }
        guard makePipe(&errors) else {
            closeAll(output)
            return failed("pipe")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        closeOtherDescriptorsOnExec()

        // The child behaves as the same command typed at a shell would: no signal ignored or
        // blocked because this process ignores or blocks it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        // A process group of its own: a time limit or an interrupt kills what the script started
        // too (`os.execute("sleep 20")` outlived its seed), and the terminal's Ctrl-C reaches
        // only this process, which reports it as an interrupt, not as the seed failing.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = argv.withUnsafeBufferPointer { argv in
            posix_spawn(&pid, path, &actions, &attributes, argv.baseAddress!, environ)
        }
        close(output[1])
        close(errors[1])
        guard spawned == 0 else {
            close(output[0])
            close(errors[0])
            return Outcome(ending: .notStarted("cannot run \(path): \(String(cString: strerror(spawned)))"), stdout: [], stderr: [])
        }
        return collect(pid, output: output[0], errors: errors[0], timeout: timeout)
    }

    /// Reads both pipes until they close (a child that fills one must not block) or, once the
    /// child has ended, a moment more (a process it started may hold them open), then reaps.
    private static func collect(_ pid: pid_t, output: Int32, errors: Int32, timeout: Double) -> Outcome {
        let deadline = monotonicSeconds() + timeout
        var streams = [StreamTail(fd: output), StreamTail(fd: errors)]
        var ended: Ending?
        var readUntil = Double.infinity
        var timedOut = false
        var interrupted = false
        while streams.contains(where: { !$0.closed }), monotonicSeconds() < readUntil {
            if ended == nil, let status = exitStatus(pid) {
                ended = status
                readUntil = monotonicSeconds() + 0.5
            }
            if ended == nil, !timedOut, monotonicSeconds() >= deadline {
                // Killed, then read to the end: what it wrote up to here is the report.
                timedOut = true
                kill(-pid, SIGKILL)
            }
            if ended == nil, ExploreInterrupt.requested {
                interrupted = true
                kill(-pid, SIGKILL)
            }
            var fds = streams.filter { !$0.closed }.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), 100)
            if ready < 0, errno != EINTR { break }
            for index in streams.indices where !streams[index].closed {
                if let polled = fds.first(where: { $0.fd == streams[index].fd }), polled.revents != 0 {
                    streams[index].drain()
                }
            }
        }
        streams.forEach { close($0.fd) }
        if ended == nil {
            // Its pipes closed: it is ending, or it closed them and runs on (until the deadline).
            while ended == nil {
                ended = exitStatus(pid)
                if ended == nil, !timedOut, monotonicSeconds() >= deadline || ExploreInterrupt.requested {
                    timedOut = true
                    interrupted = ExploreInterrupt.requested
                    kill(-pid, SIGKILL)
                }
                if ended == nil { usleep(2_000) }
            }
        }
        // What the script left running in its group goes with it.
        kill(-pid, SIGKILL)
        let ending: Ending = interrupted ? .interrupted : timedOut ? .timedOut : ended ?? .exited(-1)
        return Outcome(ending: ending, stdout: streams[0].bytes, stderr: streams[1].bytes)
    }

    /// How `pid` ended (it is reaped), or nil while it runs.
    private static func exitStatus(_ pid: pid_t) -> Ending? {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result == 0 { return nil }
            if errno != EINTR { return .exited(-1) }
        }
        // The <sys/wait.h> macros, which Swift does not import: the low 7 bits are the signal
        // that ended the child (0: it exited), the next byte its exit status.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    /// Marks every descriptor above stderr close-on-exec. One this process inherited without
    /// it (a parent's pipe or socket that tells the parent this process ended by closing)
    /// must not be held open by the child, or by a process the script leaves running in the
    /// background: the parent would wait for that one too. Foundation's `Process` is such a
    /// parent. (posix_spawn_file_actions_addclosefrom_np does this, but Swift does not import it.)
    private static func closeOtherDescriptorsOnExec() {
        guard let directory = opendir("/proc/self/fd") else { return }
        defer { closedir(directory) }
        let own = dirfd(directory)
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard let fd = Int32(name), fd > 2, fd != own else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0, flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// A pipe whose ends no other child inherits (this child gets copies through dup2).
    private static func makePipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        fds.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
        return true
    }

    private static func failed(_ call: String) -> Outcome {
        Outcome(ending: .notStarted("\(call): \(String(cString: strerror(errno)))"), stdout: [], stderr: [])
    }

    private static func closeAll(_ fds: [Int32]) {
        fds.forEach { close($0) }
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

/// The end of what a child wrote to one pipe.
private struct StreamTail {
    let fd: Int32
    var bytes: [UInt8] = []
    var closed = false

    mutating func drain() {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0, errno == EINTR || errno == EAGAIN { return }
        guard count > 0 else {
            closed = true
            return
        }
        bytes.append(contentsOf: buffer[0..<count])
        if bytes.count > ChildProcess.keptBytes { bytes.removeFirst(bytes.count - ChildProcess.keptBytes) }
    }
}
