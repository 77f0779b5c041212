"""A small client of the node API (used by `stakework wallet`): JSON over HTTP with the bearer token, errors as
one-line messages, and transaction signing against the node's chain."""

from __future__ import annotations

from typing import Any

import httpx

from stakework.api.schemas.encoding import to_json
from stakework.crypto.ed25519 import AccountKey
from stakework.spec.errors import StakeworkError
from stakework.transition.block.transaction import SignedTransaction, Transaction, chain_id, chain_signing_message

DEFAULT_URL = "http://127.0.0.1:5052"
ADDRESS_FILE = "api-address"
"""In a node's data directory: the URL its HTTP API serves on (written when the server starts, removed when it
stops), so that `--data-dir` finds the node as well as its token."""


class ApiClientError(StakeworkError):
    """The node could not be reached, or answered with an error (its message is kept)."""


class ApiClient:
    """Requests to one node."""

    def __init__(self, url: str = DEFAULT_URL, token: str | None = None, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.http = httpx.Client(timeout=timeout)
        self._chain_id: bytes | None = None

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            r = self.http.request(method, self.url + path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ApiClientError(
                f"cannot reach the node at {self.url} ({exc}); is `stakework devnet` running?"
            ) from None
        if r.status_code >= 400:
            try:
                message = r.json().get("message", r.text)
            except ValueError:
                message = r.text
            raise ApiClientError(f"the node refused {method} {path} ({r.status_code}): {message}")
        return r.json()

    def get(self, path: str) -> Any:
        """GET `path`; the decoded JSON body."""
        return self._call("GET", path)

    def post(self, path: str, body: Any) -> Any:
        """POST `body` (JSON) to `path` with the token; the decoded JSON body."""
        return self._call("POST", path, body)

    def chain_id(self) -> bytes:
        """The node's chain id (transactions are signed for one chain), computed here from the genesis the node
        reports: genesis validators root, genesis time and genesis fork version."""
        if self._chain_id is None:
            genesis = self.get("/eth/v1/beacon/genesis")["data"]
            try:
                self._chain_id = chain_id(
                    bytes.fromhex(genesis["genesis_validators_root"][2:]),
                    int(genesis["genesis_time"]),
                    bytes.fromhex(genesis["genesis_fork_version"][2:]),
                )
            except (KeyError, TypeError, ValueError, OverflowError) as exc:
                raise ApiClientError(f"the node at {self.url} sent a malformed genesis ({exc})") from None
        return self._chain_id

    def account(self, address: bytes) -> dict[str, Any]:
        """`{"address", "balance", "nonce", "validators", "slot"}` of an account (strings, as the API sends)."""
        data: dict[str, Any] = self.get(f"/v1/accounts/0x{address.hex()}")["data"]
        return data

    def sign(self, tx: Transaction, key: AccountKey) -> SignedTransaction:
        """Sign `tx` for this node's chain."""
        return SignedTransaction(tx, key.sign(chain_signing_message(self.chain_id(), tx)))

    def submit(self, signed: SignedTransaction) -> str:
        """Send a signed transaction; its hash (0x hex)."""
        data = self.post("/v1/transactions", to_json(signed))["data"]
        return str(data[0]["hash"])

    def transaction(self, tx_hash: str) -> dict[str, Any]:
        """Status of a transaction."""
        data: dict[str, Any] = self.get(f"/v1/transactions/{tx_hash}")["data"]
        return data

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()
