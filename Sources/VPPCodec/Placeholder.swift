/// Placeholder; replaced by the codec.
enum VPPCodecNamespace {}
