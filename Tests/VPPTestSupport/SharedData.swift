import Foundation

/// Locates the project's shared ground truth (`../shared` beside the checkout, as on CI).
///
/// Tests read VPP's `.api.json` files and the byte-exact vectors from there rather than
/// from copies in the repository. `VPP_GATEWAY_SHARED` overrides the location.
public enum SharedData {
    /// The `shared/` folder.
    public static let root: String = {
        if let env = ProcessInfo.processInfo.environment["VPP_GATEWAY_SHARED"], !env.isEmpty { return env }
        // #filePath = <repo>/Tests/VPPTestSupport/SharedData.swift
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return repo.deletingLastPathComponent().appendingPathComponent("shared").path
    }()

    /// The VPP 26.06 `.api.json` set (core and plugins).
    public static var api2606: String { root + "/vpp-api/26.06" }
    /// The GTP-U error-indication plugin's older-format API.
    public static var testgovpp: String { root + "/vpp-api/testgovpp" }
    /// The extra APIs the vectors use (synthetic, vat2, testgovpp copy).
    public static var vectorAPIs: String { root + "/vectors/api" }
    /// The public vectors file.
    public static var publicVectors: String { root + "/vectors/public.jsonl" }

    /// Every API folder the vectors need, in the order the vectors README loads them.
    public static var allAPIFolders: [String] { [api2606, vectorAPIs + "/synthetic", vectorAPIs + "/vat2", testgovpp] }
}
