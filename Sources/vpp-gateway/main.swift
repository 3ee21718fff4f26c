print("vpp-gateway")
