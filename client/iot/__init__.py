"""Warehouses that watch themselves: sensor devices vouched for on chain, signed readings over MQTT,
and the gateway that turns them into stocktakes (see docs in each module).

- `client.iot.devices`: the DeviceRegistry contract (register, revoke, trust).
- `client.iot.readings`: the signed reading (EIP-712), signing and fast verification.
- `client.iot.gateway`: the inspector's gateway: verify, combine, decide, post stocktakes.
- `client.iot.mqtt`: the gateway and the simulator on an MQTT broker (paho-mqtt).
- `client.iot.broker`: a Mosquitto process for the devnet and the tests.
- `client.iot.simulate`: realistic sensor readings (noise, slow theft, silence, replays).
"""
