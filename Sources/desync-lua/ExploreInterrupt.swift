import Foundation
import Synchronization

/// Ctrl-C, SIGTERM or SIGHUP while `--explore` runs: the running seed's process group is killed
/// and the run reports an interrupt, not a failing seed. (The children run in groups of their
/// own, so the terminal's Ctrl-C reaches only this process.)
enum ExploreInterrupt {
    private static let flag = Atomic<Bool>(false)

    static var requested: Bool { flag.load(ordering: .relaxed) }

    static func install() {
        // Touched before any handler can run: a static's first use is not async-signal-safe.
        _ = requested
        var signals = sigset_t()
        sigemptyset(&signals)
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber) { _ in ExploreInterrupt.flag.store(true, ordering: .relaxed) }
            sigaddset(&signals, signalNumber)
        }
        // A program that started this one may have left them blocked (the mask is inherited).
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
}
