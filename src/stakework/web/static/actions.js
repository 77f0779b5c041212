// Actions signed in the browser (docs/web.md, "Actions and the threat model"). The Ed25519 seed typed here stays in
// this page's memory (a WebCrypto key); the node receives only the signed transaction, with the bearer token.
// The canonical encoding is msgspec's MessagePack of the Transaction struct: a map of its fields in declaration
// order (sender, nonce, fee, payload), the payload a map whose first key is "type" (the message's tag).
"use strict";
(function () {
  var box = document.querySelector(".key-box");
  if (!box) { return; }
  var te = new TextEncoder();
  var key = null;        // { sign: CryptoKey, pub: Uint8Array, address: string }

  function hex(bytes) { return "0x" + Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join(""); }
  function unhex(text, length) {
    var t = String(text).trim().replace(/^0x/, "");
    if (!/^[0-9a-fA-F]*$/.test(t) || t.length !== 2 * length) { throw new Error("expected 0x and " + 2 * length + " hex digits"); }
    var out = new Uint8Array(length);
    for (var i = 0; i < length; i++) { out[i] = parseInt(t.substr(2 * i, 2), 16); }
    return out;
  }
  function concat(parts) {
    var n = parts.reduce(function (a, p) { return a + p.length; }, 0);
    var out = new Uint8Array(n); var at = 0;
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }
  async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)); }

  // MessagePack, the subset msgspec writes for these structs: maps, strings, binary, unsigned integers.
  function mpUint(v) {
    v = BigInt(v);
    if (v < 0n || v >= (1n << 64n)) { throw new Error("integer outside 0 .. 2**64-1"); }
    if (v < 128n) { return new Uint8Array([Number(v)]); }
    var size = v < 256n ? 1 : v < 65536n ? 2 : v < 4294967296n ? 4 : 8;
    var head = { 1: 0xcc, 2: 0xcd, 4: 0xce, 8: 0xcf }[size];
    var out = new Uint8Array(size + 1); out[0] = head;
    for (var i = size; i >= 1; i--) { out[i] = Number(v & 255n); v >>= 8n; }
    return out;
  }
  function mpStr(s) {
    var b = te.encode(s);
    if (b.length < 32) { return concat([new Uint8Array([0xa0 | b.length]), b]); }
    return concat([new Uint8Array([0xd9, b.length]), b]);
  }
  function mpBin(b) { return concat([new Uint8Array([0xc4, b.length]), b]); }
  function mpMap(entries) {
    var parts = [new Uint8Array([0x80 | entries.length])];
    entries.forEach(function (e) { parts.push(mpStr(e[0]), e[1]); });
    return concat(parts);
  }

  function swkToGwei(text) {
    var t = String(text).trim();
    if (!/^\d+(\.\d{1,9})?$/.test(t)) { throw new Error("an amount of SWK, e.g. 1.5 (at most 9 decimals)"); }
    var parts = t.split(".");
    return BigInt(parts[0]) * 1000000000n + BigInt((parts[1] || "").padEnd(9, "0"));
  }

  async function chainId() {
    var g = (await (await fetch("/eth/v1/beacon/genesis")).json()).data;
    var time = BigInt(g.genesis_time); var le = new Uint8Array(8);
    for (var i = 0; i < 8; i++) { le[i] = Number(time & 255n); time >>= 8n; }
    return sha256(concat([unhex(box.dataset.chainDomain, box.dataset.chainDomain.length / 2),
      unhex(g.genesis_validators_root, 32), le, unhex(g.genesis_fork_version, 4)]));
  }

  document.getElementById("load-key").addEventListener("click", async function () {
    var status = document.getElementById("key-status");
    try {
      var seed = unhex(document.getElementById("seed").value, 32);
      var pkcs8 = concat([unhex("302e020100300506032b657004220420", 16), seed]);
      var sk = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
      var jwk = await crypto.subtle.exportKey("jwk", sk);
      var pub = Uint8Array.from(atob(jwk.x.replace(/-/g, "+").replace(/_/g, "/")), function (c) { return c.charCodeAt(0); });
      var signer = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
      var address = hex((await sha256(pub)).slice(12));
      key = { sign: signer, pub: pub, address: address };
      document.getElementById("seed").value = "";
      sessionStorage.setItem("stakework_token", document.getElementById("token").value);
      status.textContent = box.dataset.loaded + " " + address;
      status.dataset.address = address;
    } catch (err) {
      status.textContent = String(err.message || err);
    }
  });
  var saved = sessionStorage.getItem("stakework_token");
  if (saved) { document.getElementById("token").value = saved; }

  document.querySelectorAll("form.action").forEach(function (form) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var out = form.querySelector(".result");
      try {
        if (!key) { throw new Error(box.dataset.noKey); }
        var fields = JSON.parse(form.dataset.fields);
        var payloadEntries = [["type", mpStr(form.dataset.tag)]];
        var payloadJson = { type: form.dataset.tag };
        fields.forEach(function (f) {
          var value = form.elements[f[0]].value;
          if (f[1] === "bytes20") {
            var b = unhex(value, 20); payloadEntries.push([f[0], mpBin(b)]); payloadJson[f[0]] = hex(b);
          } else {
            var n = f[1] === "swk" ? swkToGwei(value) : BigInt(String(value).trim());
            payloadEntries.push([f[0], mpUint(n)]); payloadJson[f[0]] = n.toString();
          }
        });
        var account = (await (await fetch("/v1/accounts/" + key.address)).json()).data;
        var nonce = BigInt(account.nonce); var fee = BigInt(form.dataset.fee);
        var encoded = mpMap([["sender", mpBin(key.pub)], ["nonce", mpUint(nonce)], ["fee", mpUint(fee)],
          ["payload", mpMap(payloadEntries)]]);
        var message = concat([unhex(box.dataset.txDomain, box.dataset.txDomain.length / 2), await chainId(), encoded]);
        var signature = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key.sign, message));
        var body = { transaction: { sender: hex(key.pub), nonce: nonce.toString(), fee: fee.toString(), payload: payloadJson },
          signature: hex(signature) };
        var token = sessionStorage.getItem("stakework_token") || "";
        var r = await fetch("/v1/transactions", { method: "POST", body: JSON.stringify(body),
          headers: { "Content-Type": "application/json", Authorization: "Bearer " + token } });
        var answer = await r.json();
        if (!r.ok) { throw new Error(answer.message || ("HTTP " + r.status)); }
        var txHash = answer.data[0].hash;
        out.textContent = "";
        var link = document.createElement("a");
        link.href = "/tx/" + txHash; link.textContent = box.dataset.sent + " " + txHash;
        out.appendChild(link);
        out.dataset.hash = txHash;
      } catch (err) {
        out.textContent = String(err.message || err);
        out.classList.add("error");
      }
    });
  });
})();
