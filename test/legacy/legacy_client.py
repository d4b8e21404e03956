"""A client of roomfiles that speaks only the legacy names (room-api.md section 10), as TrueConf's older clients do.

Sends a file from one room to a user of another room and accepts it there: sendFile, then receivedFileRequest's
`id`, acceptFile, fileStatus and getFileInfo. It selects no API version, so both connections are in legacy mode.
Needs Debian's python3-websocket (websocket-client) and python3-requests.

    legacy_client.py <sender web port> <receiver web port> <recipient peerId> <file>

Prints one JSON line with what happened; exits 0 when the file arrived byte for byte.
"""

import hashlib
import json
import os
import sys

import requests
import websocket

TIMEOUT = 30


class Room:
    """One room: its ports from config.json, an authorized API connection, and its HTTP token."""

    def __init__(self, web_port):
        config = requests.get(f"http://127.0.0.1:{web_port}/public/default/config.json", timeout=TIMEOUT).json()
        self.ws_port = config["config"]["websocket"]["port"]
        self.http_port = config["config"]["http"]["port"]
        self.socket = websocket.create_connection(f"ws://127.0.0.1:{self.ws_port}", timeout=TIMEOUT)
        self.send({"method": "auth", "type": "unsecured"})
        self.token = self.reply("auth")["tokenForHttpServer"]

    def send(self, message):
        self.socket.send(json.dumps(message))

    def receive(self, wanted):
        """The next message for which wanted(message) holds; the ones before it are skipped."""
        while True:
            message = json.loads(self.socket.recv())
            if wanted(message):
                return message

    def reply(self, method):
        message = self.receive(lambda m: m.get("method") == method)
        if message.get("result") is not True:
            raise RuntimeError(f"{method} failed: {message}")
        return message

    def event(self, name, **fields):
        return self.receive(
            lambda m: m.get("method") == "event"
            and m.get("event") == name
            and all(m.get(key) == value for key, value in fields.items())
        )

    def upload(self, path):
        with open(path, "rb") as body:
            response = requests.post(
                f"http://127.0.0.1:{self.http_port}/files/",
                params={"token": self.token},
                files={"file": (os.path.basename(path), body)},
                timeout=TIMEOUT,
            )
        response.raise_for_status()
        return response.json()["fileId"]

    def download(self, file_id):
        response = requests.get(
            f"http://127.0.0.1:{self.http_port}/files/{file_id}", params={"token": self.token}, timeout=TIMEOUT
        )
        response.raise_for_status()
        return response.content


def main(sender_port, receiver_port, peer_id, path):
    sender = Room(int(sender_port))
    receiver = Room(int(receiver_port))

    file_id = sender.upload(path)
    sender.send({"method": "sendFile", "fileId": file_id, "peerId": peer_id})
    sent_id = sender.reply("sendFile")["id"]
    sender.event("fileSent", id=sent_id)

    offer = receiver.event("receivedFileRequest")
    receiver.send({"method": "acceptFile", "id": offer["id"]})
    receiver.reply("acceptFile")
    receiver.event("fileAccepted", id=offer["id"])
    receiver.event("fileStatus", id=offer["id"], status=3)
    sender.event("fileStatus", id=sent_id, status=3)

    receiver.send({"method": "getFileInfo", "id": offer["id"]})
    info = receiver.reply("getFileInfo")
    received = receiver.download(info["fileId"])
    with open(path, "rb") as source:
        expected = source.read()
    print(
        json.dumps(
            {
                "sentId": sent_id,
                "receivedId": offer["id"],
                "fileName": info["fileName"],
                "fileId": info["fileId"],
                "size": len(received),
                "sha256": hashlib.sha256(received).hexdigest(),
            }
        )
    )
    return 0 if received == expected else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
