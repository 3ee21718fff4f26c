/// One of VPP's API error codes: the `retval` a reply carries, its name and message.
///
/// VPP has no API message that translates codes, so the table is kept here. It is the
/// `foreach_vnet_error` list of VPP 26.06 (src/vnet/error.h; src/vnet/api_errno.h only
/// aliases it as `foreach_vnet_api_error`): 143 codes from -1 `UNSPECIFIED` to -171
/// `INVALID_PREFIX_LENGTH`. Names are given without the `VNET_API_ERROR_` prefix that the
/// C enum adds.
public struct VPPErrorCode: Sendable, Hashable, CustomStringConvertible {
    /// The numeric value (negative; 0 means success and is not in the table).
    public let code: Int32
    /// The symbolic name, e.g. `INVALID_SW_IF_INDEX`.
    public let name: String
    /// VPP's human-readable message, e.g. "Invalid sw_if_index".
    public let message: String

    /// Creates an entry (the table below holds VPP's; tests may build others).
    public init(code: Int32, name: String, message: String) {
        self.code = code
        self.name = name
        self.message = message
    }

    /// `VNET_API_ERROR_<name>`, the C enumerator as VPP's sources spell it.
    public var cName: String { "VNET_API_ERROR_" + name }

    /// `INVALID_SW_IF_INDEX (-2): Invalid sw_if_index`.
    public var description: String { "\(name) (\(code)): \(message)" }

    /// The entry for `code`, nil when VPP does not define it (a plugin's private code,
    /// or a positive value some replies use).
    public static func lookup(_ code: Int32) -> VPPErrorCode? { byCode[code] }

    /// The entry named `name` (with or without the `VNET_API_ERROR_` prefix).
    public static func lookup(name: String) -> VPPErrorCode? {
        let bare = name.hasPrefix("VNET_API_ERROR_") ? String(name.dropFirst(15)) : name
        return byName[bare]
    }

    /// A short label for any code: the table name, or `UNKNOWN(<code>)`.
    public static func name(of code: Int32) -> String { byCode[code]?.name ?? "UNKNOWN(\(code))" }

    /// `VNET_API_ERROR_EAGAIN`: a get/stream call must be repeated with the returned cursor.
    public static let eagain: Int32 = -165

    /// `VNET_API_ERROR_INVALID_VALUE`: also what VPP's get/stream macros answer, with cursor
    /// ~0, when there is nothing (more) to send (api_helper_macros.h:385-527).
    public static let invalidValue: Int32 = -7

    private static let byCode: [Int32: VPPErrorCode] = Dictionary(all.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
    private static let byName: [String: VPPErrorCode] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

    /// Every code, in VPP's order (src/vnet/error.h, VPP 26.06).
    public static let all: [VPPErrorCode] = [
        VPPErrorCode(code: -1, name: "UNSPECIFIED", message: "Unspecified Error"),
        VPPErrorCode(code: -2, name: "INVALID_SW_IF_INDEX", message: "Invalid sw_if_index"),
        VPPErrorCode(code: -3, name: "NO_SUCH_FIB", message: "No such FIB / VRF"),
        VPPErrorCode(code: -4, name: "NO_SUCH_INNER_FIB", message: "No such inner FIB / VRF"),
        VPPErrorCode(code: -5, name: "NO_SUCH_LABEL", message: "No such label"),
        VPPErrorCode(code: -6, name: "NO_SUCH_ENTRY", message: "No such entry"),
        VPPErrorCode(code: -7, name: "INVALID_VALUE", message: "Invalid value"),
        VPPErrorCode(code: -8, name: "INVALID_VALUE_2", message: "Invalid value #2"),
        VPPErrorCode(code: -9, name: "UNIMPLEMENTED", message: "Unimplemented"),
        VPPErrorCode(code: -10, name: "INVALID_SW_IF_INDEX_2", message: "Invalid sw_if_index #2"),
        VPPErrorCode(code: -11, name: "SYSCALL_ERROR_1", message: "System call error #1"),
        VPPErrorCode(code: -12, name: "SYSCALL_ERROR_2", message: "System call error #2"),
        VPPErrorCode(code: -13, name: "SYSCALL_ERROR_3", message: "System call error #3"),
        VPPErrorCode(code: -14, name: "SYSCALL_ERROR_4", message: "System call error #4"),
        VPPErrorCode(code: -15, name: "SYSCALL_ERROR_5", message: "System call error #5"),
        VPPErrorCode(code: -16, name: "SYSCALL_ERROR_6", message: "System call error #6"),
        VPPErrorCode(code: -17, name: "SYSCALL_ERROR_7", message: "System call error #7"),
        VPPErrorCode(code: -18, name: "SYSCALL_ERROR_8", message: "System call error #8"),
        VPPErrorCode(code: -19, name: "SYSCALL_ERROR_9", message: "System call error #9"),
        VPPErrorCode(code: -20, name: "SYSCALL_ERROR_10", message: "System call error #10"),
        VPPErrorCode(code: -30, name: "FEATURE_DISABLED", message: "Feature disabled by configuration"),
        VPPErrorCode(code: -31, name: "INVALID_REGISTRATION", message: "Invalid registration"),
        VPPErrorCode(code: -50, name: "NEXT_HOP_NOT_IN_FIB", message: "Next hop not in FIB"),
        VPPErrorCode(code: -51, name: "UNKNOWN_DESTINATION", message: "Unknown destination"),
        VPPErrorCode(code: -52, name: "NO_PATHS_IN_ROUTE", message: "No paths specified in route"),
        VPPErrorCode(code: -53, name: "NEXT_HOP_NOT_FOUND_MP", message: "Next hop not found (multipath)"),
        VPPErrorCode(code: -54, name: "NO_MATCHING_INTERFACE", message: "No matching interface for probe"),
        VPPErrorCode(code: -55, name: "INVALID_VLAN", message: "Invalid VLAN"),
        VPPErrorCode(code: -56, name: "VLAN_ALREADY_EXISTS", message: "VLAN subif already exists"),
        VPPErrorCode(code: -57, name: "INVALID_SRC_ADDRESS", message: "Invalid src address"),
        VPPErrorCode(code: -58, name: "INVALID_DST_ADDRESS", message: "Invalid dst address"),
        VPPErrorCode(code: -59, name: "ADDRESS_LENGTH_MISMATCH", message: "Address length mismatch"),
        VPPErrorCode(code: -60, name: "ADDRESS_NOT_FOUND_FOR_INTERFACE", message: "Address not found for interface"),
        VPPErrorCode(code: -61, name: "ADDRESS_NOT_DELETABLE", message: "Address not deletable"),
        VPPErrorCode(code: -62, name: "IP6_NOT_ENABLED", message: "ip6 not enabled"),
        VPPErrorCode(code: -63, name: "NO_SUCH_NODE", message: "No such graph node"),
        VPPErrorCode(code: -64, name: "NO_SUCH_NODE2", message: "No such graph node #2"),
        VPPErrorCode(code: -65, name: "NO_SUCH_TABLE", message: "No such table"),
        VPPErrorCode(code: -66, name: "NO_SUCH_TABLE2", message: "No such table #2"),
        VPPErrorCode(code: -67, name: "NO_SUCH_TABLE3", message: "No such table #3"),
        VPPErrorCode(code: -68, name: "SUBIF_ALREADY_EXISTS", message: "Subinterface already exists"),
        VPPErrorCode(code: -69, name: "SUBIF_CREATE_FAILED", message: "Subinterface creation failed"),
        VPPErrorCode(code: -70, name: "INVALID_MEMORY_SIZE", message: "Invalid memory size requested"),
        VPPErrorCode(code: -71, name: "INVALID_INTERFACE", message: "Invalid interface"),
        VPPErrorCode(code: -72, name: "INVALID_VLAN_TAG_COUNT", message: "Invalid number of tags for requested operation"),
        VPPErrorCode(code: -73, name: "INVALID_ARGUMENT", message: "Invalid argument"),
        VPPErrorCode(code: -74, name: "UNEXPECTED_INTF_STATE", message: "Unexpected interface state"),
        VPPErrorCode(code: -75, name: "TUNNEL_EXIST", message: "Tunnel already exists"),
        VPPErrorCode(code: -76, name: "INVALID_DECAP_NEXT", message: "Invalid decap-next"),
        VPPErrorCode(code: -77, name: "RESPONSE_NOT_READY", message: "Response not ready"),
        VPPErrorCode(code: -78, name: "NOT_CONNECTED", message: "Not connected to the data plane"),
        VPPErrorCode(code: -79, name: "IF_ALREADY_EXISTS", message: "Interface already exists"),
        VPPErrorCode(code: -80, name: "BOND_SLAVE_NOT_ALLOWED", message: "Operation not allowed on slave of BondEthernet"),
        VPPErrorCode(code: -81, name: "VALUE_EXIST", message: "Value already exists"),
        VPPErrorCode(code: -82, name: "SAME_SRC_DST", message: "Source and destination are the same"),
        VPPErrorCode(code: -83, name: "IP6_MULTICAST_ADDRESS_NOT_PRESENT", message: "IP6 multicast address required"),
        VPPErrorCode(code: -84, name: "SR_POLICY_NAME_NOT_PRESENT", message: "Segment routing policy name required"),
        VPPErrorCode(code: -85, name: "NOT_RUNNING_AS_ROOT", message: "Not running as root"),
        VPPErrorCode(code: -86, name: "ALREADY_CONNECTED", message: "Connection to the data plane already exists"),
        VPPErrorCode(code: -87, name: "UNSUPPORTED_JNI_VERSION", message: "Unsupported JNI version"),
        VPPErrorCode(code: -88, name: "IP_PREFIX_INVALID", message: "IP prefix invalid (masked bits set in address"),
        VPPErrorCode(code: -89, name: "INVALID_WORKER", message: "Invalid worker thread"),
        VPPErrorCode(code: -90, name: "LISP_DISABLED", message: "LISP is disabled"),
        VPPErrorCode(code: -91, name: "CLASSIFY_TABLE_NOT_FOUND", message: "Classify table not found"),
        VPPErrorCode(code: -92, name: "INVALID_EID_TYPE", message: "Unsupported LISP EID type"),
        VPPErrorCode(code: -93, name: "CANNOT_CREATE_PCAP_FILE", message: "Cannot create pcap file"),
        VPPErrorCode(code: -94, name: "INCORRECT_ADJACENCY_TYPE", message: "Invalid adjacency type for this operation"),
        VPPErrorCode(code: -95, name: "EXCEEDED_NUMBER_OF_RANGES_CAPACITY", message: "Operation would exceed configured capacity of ranges"),
        VPPErrorCode(code: -96, name: "EXCEEDED_NUMBER_OF_PORTS_CAPACITY", message: "Operation would exceed capacity of number of ports"),
        VPPErrorCode(code: -97, name: "INVALID_ADDRESS_FAMILY", message: "Invalid address family"),
        VPPErrorCode(code: -98, name: "INVALID_SUB_SW_IF_INDEX", message: "Invalid sub-interface sw_if_index"),
        VPPErrorCode(code: -99, name: "TABLE_TOO_BIG", message: "Table too big"),
        VPPErrorCode(code: -100, name: "CANNOT_ENABLE_DISABLE_FEATURE", message: "Cannot enable/disable feature"),
        VPPErrorCode(code: -101, name: "BFD_EEXIST", message: "Duplicate BFD object"),
        VPPErrorCode(code: -102, name: "BFD_ENOENT", message: "No such BFD object"),
        VPPErrorCode(code: -103, name: "BFD_EINUSE", message: "BFD object in use"),
        VPPErrorCode(code: -104, name: "BFD_NOTSUPP", message: "BFD feature not supported"),
        VPPErrorCode(code: -105, name: "ADDRESS_IN_USE", message: "Address in use"),
        VPPErrorCode(code: -106, name: "ADDRESS_NOT_IN_USE", message: "Address not in use"),
        VPPErrorCode(code: -107, name: "QUEUE_FULL", message: "Queue full"),
        VPPErrorCode(code: -108, name: "APP_UNSUPPORTED_CFG", message: "Unsupported application config"),
        VPPErrorCode(code: -109, name: "URI_FIFO_CREATE_FAILED", message: "URI FIFO segment create failed"),
        VPPErrorCode(code: -110, name: "LISP_RLOC_LOCAL", message: "RLOC address is local"),
        VPPErrorCode(code: -111, name: "BFD_EAGAIN", message: "BFD object cannot be manipulated at this time"),
        VPPErrorCode(code: -112, name: "INVALID_GPE_MODE", message: "Invalid GPE mode"),
        VPPErrorCode(code: -113, name: "LISP_GPE_ENTRIES_PRESENT", message: "LISP GPE entries are present"),
        VPPErrorCode(code: -114, name: "ADDRESS_FOUND_FOR_INTERFACE", message: "Address found for interface"),
        VPPErrorCode(code: -115, name: "SESSION_CONNECT", message: "Session failed to connect"),
        VPPErrorCode(code: -116, name: "ENTRY_ALREADY_EXISTS", message: "Entry already exists"),
        VPPErrorCode(code: -117, name: "SVM_SEGMENT_CREATE_FAIL", message: "Svm segment create fail"),
        VPPErrorCode(code: -118, name: "APPLICATION_NOT_ATTACHED", message: "Application not attached"),
        VPPErrorCode(code: -119, name: "BD_ALREADY_EXISTS", message: "Bridge domain already exists"),
        VPPErrorCode(code: -120, name: "BD_IN_USE", message: "Bridge domain has member interfaces"),
        VPPErrorCode(code: -121, name: "BD_NOT_MODIFIABLE", message: "Bridge domain 0 can't be deleted/modified"),
        VPPErrorCode(code: -122, name: "BD_ID_EXCEED_MAX", message: "Bridge domain ID exceeds 16M limit"),
        VPPErrorCode(code: -123, name: "SUBIF_DOESNT_EXIST", message: "Subinterface doesn't exist"),
        VPPErrorCode(code: -124, name: "L2_MACS_EVENT_CLINET_PRESENT", message: "Client already exist for L2 MACs events"),
        VPPErrorCode(code: -125, name: "INVALID_QUEUE", message: "Invalid queue"),
        VPPErrorCode(code: -126, name: "UNSUPPORTED", message: "Unsupported"),
        VPPErrorCode(code: -127, name: "DUPLICATE_IF_ADDRESS", message: "Address already present on another interface"),
        VPPErrorCode(code: -128, name: "APP_INVALID_NS", message: "Invalid application namespace"),
        VPPErrorCode(code: -129, name: "APP_WRONG_NS_SECRET", message: "Wrong app namespace secret"),
        VPPErrorCode(code: -130, name: "APP_CONNECT_SCOPE", message: "Connect scope"),
        VPPErrorCode(code: -131, name: "APP_ALREADY_ATTACHED", message: "App already attached"),
        VPPErrorCode(code: -132, name: "SESSION_REDIRECT", message: "Redirect failed"),
        VPPErrorCode(code: -133, name: "ILLEGAL_NAME", message: "Illegal name"),
        VPPErrorCode(code: -134, name: "NO_NAME_SERVERS", message: "No name servers configured"),
        VPPErrorCode(code: -135, name: "NAME_SERVER_NOT_FOUND", message: "Name server not found"),
        VPPErrorCode(code: -136, name: "NAME_RESOLUTION_NOT_ENABLED", message: "Name resolution not enabled"),
        VPPErrorCode(code: -137, name: "NAME_SERVER_FORMAT_ERROR", message: "Server format error (bug!)"),
        VPPErrorCode(code: -138, name: "NAME_SERVER_NO_SUCH_NAME", message: "No such name"),
        VPPErrorCode(code: -139, name: "NAME_SERVER_NO_ADDRESSES", message: "No addresses available"),
        VPPErrorCode(code: -140, name: "NAME_SERVER_NEXT_SERVER", message: "Retry with new server"),
        VPPErrorCode(code: -141, name: "APP_CONNECT_FILTERED", message: "Connect was filtered"),
        VPPErrorCode(code: -142, name: "ACL_IN_USE_INBOUND", message: "Inbound ACL in use"),
        VPPErrorCode(code: -143, name: "ACL_IN_USE_OUTBOUND", message: "Outbound ACL in use"),
        VPPErrorCode(code: -144, name: "INIT_FAILED", message: "Initialization Failed"),
        VPPErrorCode(code: -145, name: "NETLINK_ERROR", message: "Netlink error"),
        VPPErrorCode(code: -146, name: "BIER_BSL_UNSUP", message: "BIER bit-string-length unsupported"),
        VPPErrorCode(code: -147, name: "INSTANCE_IN_USE", message: "Instance in use"),
        VPPErrorCode(code: -148, name: "INVALID_SESSION_ID", message: "Session ID out of range"),
        VPPErrorCode(code: -149, name: "ACL_IN_USE_BY_LOOKUP_CONTEXT", message: "ACL in use by a lookup context"),
        VPPErrorCode(code: -150, name: "INVALID_VALUE_3", message: "Invalid value #3"),
        VPPErrorCode(code: -151, name: "NON_ETHERNET", message: "Interface is not an Ethernet interface"),
        VPPErrorCode(code: -152, name: "BD_ALREADY_HAS_BVI", message: "Bridge domain already has a BVI interface"),
        VPPErrorCode(code: -153, name: "INVALID_PROTOCOL", message: "Invalid Protocol"),
        VPPErrorCode(code: -154, name: "INVALID_ALGORITHM", message: "Invalid Algorithm"),
        VPPErrorCode(code: -155, name: "RSRC_IN_USE", message: "Resource In Use"),
        VPPErrorCode(code: -156, name: "KEY_LENGTH", message: "invalid Key Length"),
        VPPErrorCode(code: -157, name: "FIB_PATH_UNSUPPORTED_NH_PROTO", message: "Unsupported FIB Path protocol"),
        VPPErrorCode(code: -159, name: "API_ENDIAN_FAILED", message: "Endian mismatch detected"),
        VPPErrorCode(code: -160, name: "NO_CHANGE", message: "No change in table"),
        VPPErrorCode(code: -161, name: "MISSING_CERT_KEY", message: "Missing certifcate or key"),
        VPPErrorCode(code: -162, name: "LIMIT_EXCEEDED", message: "limit exceeded"),
        VPPErrorCode(code: -163, name: "IKE_NO_PORT", message: "port not managed by IKE"),
        VPPErrorCode(code: -164, name: "UDP_PORT_TAKEN", message: "UDP port already taken"),
        VPPErrorCode(code: -165, name: "EAGAIN", message: "Retry stream call with cursor"),
        VPPErrorCode(code: -166, name: "INVALID_VALUE_4", message: "Invalid value #4"),
        VPPErrorCode(code: -167, name: "BUSY", message: "Busy"),
        VPPErrorCode(code: -168, name: "BUG", message: "Bug"),
        VPPErrorCode(code: -169, name: "FEATURE_ALREADY_DISABLED", message: "Feature already disabled"),
        VPPErrorCode(code: -170, name: "FEATURE_ALREADY_ENABLED", message: "Feature already enabled"),
        VPPErrorCode(code: -171, name: "INVALID_PREFIX_LENGTH", message: "Invalid prefix length"),
    ]
}
