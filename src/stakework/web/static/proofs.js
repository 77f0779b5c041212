// Merkle proofs checked in the browser (docs/web.md, "Proofs checked in the browser"): a line-by-line port of
// src/stakework/state/proofs.py (verify_account, verify_holder, read_summary; the tree's shape is described in that
// module's docstring), with WebCrypto's SHA-256 and a msgpack reader of its own. No dependency. Integers are BigInt
// (balances exceed 2^53). Every refusal throws an Error whose message says what does not match.
//
// StakeworkProofs.verifyAccount(proof, stateRoot, address) -> Promise<{balance, nonce}>
// StakeworkProofs.verifyHolder(proof, stateRoot, module, tableSteps, holder) -> Promise<shares>
//   proof: the JSON of `proof_to_json` (0x hex strings), stateRoot/address/holder: 0x hex or Uint8Array,
//   tableSteps: [["key", "ledger"], ["key", "shares"]] (liquid's stSWK).
// StakeworkProofs.readSummary(bytes) -> the decoded msgpack value (ints BigInt, floats Number, str string,
//   bin Uint8Array, arrays Array, maps Map).
// Reading the JSON is a little stricter than proof_from_json (no spaces inside hex, an index or count must be an
// integer or a string of digits, not 5.0): a malformed proof Python would read is refused, never the reverse.
"use strict";
(function (root) {
  var ARITY = 16;
  var ACCOUNT_BUCKET_BITS = 16;
  var ACCOUNT_HEIGHT = 4;
  var ACCOUNT_RECORD = 20 + 8 + 8;
  var MSGPACK_DEPTH = 64;
  var U64 = 1n << 64n;
  var te = new TextEncoder();
  var ZERO32 = new Uint8Array(32);

  function fail(reason) { throw new Error(reason); }

  function toHex(bytes) { return "0x" + Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join(""); }
  function unhex(value, what) {
    if (value instanceof Uint8Array) { return value; }
    if (typeof value !== "string" || value.slice(0, 2) !== "0x") { fail(what + ": expected a 0x-prefixed hex string"); }
    var t = value.slice(2);
    if (t.length % 2 || !/^[0-9a-fA-F]*$/.test(t)) { fail(what + ": not hex"); }
    var out = new Uint8Array(t.length / 2);
    for (var i = 0; i < out.length; i++) { out[i] = parseInt(t.substr(2 * i, 2), 16); }
    return out;
  }
  function integer(value, what) {
    if (typeof value === "bigint") { return value; }
    if (typeof value === "number" && Number.isSafeInteger(value)) { return BigInt(value); }
    if (typeof value === "string" && /^-?\d+$/.test(value)) { return BigInt(value); }
    return fail(what + ": expected an integer, got " + JSON.stringify(value));
  }
  function concat(parts) {
    var n = parts.reduce(function (a, p) { return a + p.length; }, 0);
    var out = new Uint8Array(n); var at = 0;
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }
  function equal(a, b) {
    if (a.length !== b.length) { return false; }
    for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) { return false; } }
    return true;
  }
  function compare(a, b) {  // bytes order, as Python's
    var n = Math.min(a.length, b.length);
    for (var i = 0; i < n; i++) { if (a[i] !== b[i]) { return a[i] - b[i]; } }
    return a.length - b.length;
  }
  function le64(bytes) {
    var v = 0n;
    for (var i = 7; i >= 0; i--) { v = (v << 8n) | BigInt(bytes[i]); }
    return v;
  }
  function u64le(v, what) {
    if (v < 0n || v >= U64) { fail(what + " " + v + " is outside 0 .. 2**64-1"); }
    var out = new Uint8Array(8);
    for (var i = 0; i < 8; i++) { out[i] = Number(v & 255n); v >>= 8n; }
    return out;
  }
  async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)); }

  var zeroHashes = null;   // ZERO_HASHES[d]: the root of an all-zero binary tree of depth d (the field tree's padding)
  async function zeros() {
    if (zeroHashes) { return; }
    var bin = [ZERO32];
    for (var d = 0; d < 64; d++) { bin.push(await sha256(concat([bin[d], bin[d]]))); }
    zeroHashes = bin;
  }

  function named(prefix, name, root) {
    var encoded = te.encode(name);
    if (encoded.length > 255) { fail("a name of " + encoded.length + " bytes (at most 255): " + name.slice(0, 40)); }
    return sha256(concat([te.encode(prefix), new Uint8Array([encoded.length]), encoded, root]));
  }
  async function fieldLeaf(name, fieldRoot) { return named("swk:field", name, fieldRoot); }
  async function moduleLeaf(name, partRoot) { return named("swk:module", name, partRoot); }
  async function mixInCount(treeRoot, count) { return sha256(concat([treeRoot, u64le(count, "a count")])); }
  async function merkleRoot(leaves) {
    await zeros();
    var layer = leaves.length ? leaves.slice() : [ZERO32];
    var depth = 0;
    while (layer.length > 1) {
      if (layer.length % 2) { layer.push(zeroHashes[depth]); }
      var next = [];
      for (var i = 0; i < layer.length; i += 2) { next.push(await sha256(concat([layer[i], layer[i + 1]]))); }
      layer = next; depth++;
    }
    return layer[0];
  }
  async function branchRoot(leaf, index, branch) {
    var node = leaf;
    for (var l = 0; l < branch.length; l++) {
      var siblings = branch[l];
      if (!Array.isArray(siblings) || siblings.length !== ARITY - 1) {
        fail("a branch level holds " + (ARITY - 1) + " siblings, got " + (Array.isArray(siblings) ? siblings.length : typeof siblings));
      }
      var position = Number(((index % 16n) + 16n) % 16n);
      var kids = siblings.slice(0, position).concat([node], siblings.slice(position));
      node = await sha256(concat(kids));
      index = index >= 0n ? index / 16n : -((-index + 15n) / 16n);  // Python's floor division
    }
    return node;
  }
  function accountBucket(address) {
    return ((address[0] << 8) | address[1]) >>> (16 - ACCOUNT_BUCKET_BITS);
  }
  function holderBucket(holder) { return ((holder[0] || 0) << 8) | (holder[1] || 0); }

  function accountEntries(bucket) {
    if (bucket.length % ACCOUNT_RECORD) { fail("an account bucket is a multiple of " + ACCOUNT_RECORD + " bytes, got " + bucket.length); }
    var out = new Map(); var previous = new Uint8Array(0);
    for (var i = 0; i < bucket.length; i += ACCOUNT_RECORD) {
      var address = bucket.slice(i, i + 20);
      if (compare(address, previous) <= 0) { fail("the bucket's entries are not sorted by address (or repeat one)"); }
      previous = address;
      out.set(toHex(address), { address: address, balance: le64(bucket.slice(i + 20, i + 28)), nonce: le64(bucket.slice(i + 28, i + 36)) });
    }
    return out;
  }
  function holderEntries(bucket) {
    var out = new Map(); var previous = null; var i = 0;
    while (i < bucket.length) {
      var width = bucket[i]; var end = i + 1 + width + 8;
      if (end > bucket.length) { fail("a holder-table bucket ends inside an entry"); }
      var holder = bucket.slice(i + 1, i + 1 + width);
      if (previous !== null && compare(holder, previous) <= 0) { fail("the bucket's entries are not sorted by holder (or repeat one)"); }
      previous = holder;
      out.set(toHex(holder), { holder: holder, shares: le64(bucket.slice(end - 8, end)) });
      i = end;
    }
    return out;
  }

  // The proof's JSON (proof_to_json) as bytes and BigInts; malformed -> Error naming the part.
  function parsePath(p, what) {
    if (!p || typeof p !== "object") { fail(what + ": expected an object"); }
    if (!Array.isArray(p.branch)) { fail(what + ": its branch is not a list"); }
    return {
      index: integer(p.index !== undefined ? p.index : p.bucket, what + " index"),
      chunk: unhex(p.chunk, "chunk"),
      branch: p.branch.map(function (level) {
        if (!Array.isArray(level)) { fail("a branch level is a list of hashes"); }
        return level.map(function (b) { return unhex(b, "branch"); });
      }),
      count: integer(p.count, what + " count"),
    };
  }
  function parseProof(doc) {
    if (!doc || typeof doc !== "object" || Array.isArray(doc)) { fail("a proof is a JSON object"); }
    if (!Array.isArray(doc.field_leaves) || !Array.isArray(doc.paths)) { fail("malformed proof: field_leaves and paths are lists"); }
    return {
      stateRoot: unhex(doc.state_root, "state_root"),
      preset: String(doc.preset),
      fieldLeaves: doc.field_leaves.map(function (pair) {
        if (!Array.isArray(pair) || pair.length !== 2) { fail("malformed proof: a field leaf is [name, leaf]"); }
        return [String(pair[0]), unhex(pair[1], "field_leaves[" + pair[0] + "]")];
      }),
      paths: doc.paths.map(function (p) { var out = parsePath(p, "path"); out.field = String(p.field); return out; }),
      module: doc.module === undefined || doc.module === null ? null : parseModule(doc.module),
    };
  }
  function parseTable(steps) {
    if (!Array.isArray(steps)) { fail("a module path's table is a list of steps"); }
    return steps.map(function (step) {
      if (!Array.isArray(step) || step.length !== 2 || (step[0] !== "key" && step[0] !== "at")) {
        fail('a table step is ["key", k] or ["at", i], got ' + JSON.stringify(step));
      }
      var key = step[1];
      var isInt = (typeof key === "number" && Number.isSafeInteger(key)) || typeof key === "bigint";
      if (!(isInt || typeof key === "string") || (step[0] === "at" && !isInt)) {
        fail("a table step's key is a string or an integer (a position: an integer), got " + JSON.stringify(key));
      }
      return [step[0], isInt ? BigInt(key) : key];
    });
  }
  function parseModule(m) {
    if (!m || typeof m !== "object" || Array.isArray(m)) { fail("a proof's module path is a JSON object"); }
    var path = parsePath(m, "module path");
    if (!Array.isArray(m.parts)) { fail("a module path's parts are a list"); }
    path.module = String(m.module);
    path.parts = m.parts.map(function (pair) { return [String(pair[0]), unhex(pair[1], "parts[" + pair[0] + "]")]; });
    path.summary = unhex(m.summary, "summary");
    path.table = parseTable(m.table);
    path.bucket = path.index;
    return path;
  }
  function tableName(steps) {
    return "[" + steps.map(function (s) { return '("' + s[0] + '", ' + (typeof s[1] === "string" ? JSON.stringify(s[1]) : String(s[1])) + ")"; }).join(", ") + "]";
  }

  async function checkStateRoot(proof, expectedRoot) {
    if (!equal(proof.stateRoot, expectedRoot)) { fail("the proof is for state root " + toHex(proof.stateRoot) + ", not " + toHex(expectedRoot)); }
    var leaves = new Map();
    proof.fieldLeaves.forEach(function (pair) { leaves.set(pair[0], pair[1]); });
    if (leaves.size !== proof.fieldLeaves.length) { fail("the proof names a field twice"); }
    var first = proof.fieldLeaves[0];
    var presetLeaf = await fieldLeaf("preset", await sha256(te.encode(proof.preset)));
    if (!first || first[0] !== "preset" || !equal(first[1], presetLeaf)) { fail("the proof's first leaf is not its preset's"); }
    var rootHash = await merkleRoot(proof.fieldLeaves.map(function (pair) { return pair[1]; }));
    if (!equal(rootHash, expectedRoot)) { fail("the field leaves do not hash to the state root"); }
    return leaves;
  }
  async function checkPath(path, leaves, height) {
    if (path.branch.length !== height) { fail(path.field + ": a branch of " + path.branch.length + " levels, expected " + height); }
    if (!leaves.has(path.field)) { fail(path.field + ": not a field of the proven state"); }
    var leaf = path.chunk.length ? await sha256(path.chunk) : ZERO32;
    var fieldRoot = await mixInCount(await branchRoot(leaf, path.index, path.branch), path.count);
    if (!equal(await fieldLeaf(path.field, fieldRoot), leaves.get(path.field))) {
      fail(path.field + ": the chunk and its branch do not lead to the field's leaf (tampered?)");
    }
  }

  async function verifyAccount(proofJson, stateRoot, address) {
    address = unhex(address, "address");
    if (address.length !== 20) { fail("an address has 20 bytes, got " + address.length); }
    var proof = parseProof(proofJson);
    var leaves = await checkStateRoot(proof, unhex(stateRoot, "state root"));
    var paths = proof.paths.filter(function (p) { return p.field === "accounts"; });
    if (paths.length !== 1) { fail("an account proof holds exactly one accounts bucket"); }
    var path = paths[0];
    if (path.index !== BigInt(accountBucket(address))) {
      fail("the bucket is " + path.index + ", but " + toHex(address) + " belongs in " + accountBucket(address));
    }
    await checkPath(path, leaves, ACCOUNT_HEIGHT);
    var entries = accountEntries(path.chunk);
    entries.forEach(function (e) { if (BigInt(accountBucket(e.address)) !== path.index) { fail("the bucket holds an address that does not belong in it"); } });
    var found = entries.get(toHex(address));
    return found ? { balance: found.balance, nonce: found.nonce } : { balance: 0n, nonce: 0n };
  }

  // msgpack, the subset read_summary reads: nil, booleans, integers (BigInt), floats (Number), str, bin, arrays, maps.
  function readValue(data, at, depth) {
    if (depth > MSGPACK_DEPTH) { fail("the module summary nests too deep"); }
    if (at >= data.length) { fail("the module summary ends inside a value"); }
    var tag = data[at]; at += 1;
    function take(n) {
      if (at + n > data.length) { fail("the module summary ends inside a value"); }
      return data.subarray(at, at + n);
    }
    function uint(n) { var b = take(n); var v = 0n; for (var i = 0; i < n; i++) { v = (v << 8n) | BigInt(b[i]); } return v; }
    if (tag <= 0x7f) { return [BigInt(tag), at]; }
    if (tag >= 0xe0) { return [BigInt(tag - 0x100), at]; }
    if (tag === 0xc0) { return [null, at]; }
    if (tag === 0xc2 || tag === 0xc3) { return [tag === 0xc3, at]; }
    var sizes = { 0xd9: 1, 0xda: 2, 0xdb: 4, 0xc4: 1, 0xc5: 2, 0xc6: 4 };
    if ((tag >= 0xa0 && tag <= 0xbf) || sizes[tag]) {
      var n; var size;
      if (tag >= 0xa0 && tag <= 0xbf) { n = tag & 0x1f; size = 0; } else { size = sizes[tag]; n = Number(uint(size)); }
      at += size;
      var raw = take(n);
      if (tag === 0xc4 || tag === 0xc5 || tag === 0xc6) { return [raw.slice(), at + n]; }
      try {
        return [new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(raw), at + n];
      } catch (e) {
        return fail("the module summary holds a string that is not UTF-8");
      }
    }
    if (tag >= 0xcc && tag <= 0xcf) { var us = 1 << (tag - 0xcc); return [uint(us), at + us]; }
    if (tag >= 0xd0 && tag <= 0xd3) {
      var ss = 1 << (tag - 0xd0); var u = uint(ss); var bits = BigInt(8 * ss);
      return [u >= (1n << (bits - 1n)) ? u - (1n << bits) : u, at + ss];
    }
    if (tag === 0xca || tag === 0xcb) {
      var fs = tag === 0xca ? 4 : 8; var fb = take(fs);
      var view = new DataView(fb.buffer, fb.byteOffset, fs);
      return [fs === 4 ? view.getFloat32(0) : view.getFloat64(0), at + fs];
    }
    var count;
    if ((tag >= 0x90 && tag <= 0x9f) || tag === 0xdc || tag === 0xdd || (tag >= 0x80 && tag <= 0x8f) || tag === 0xde || tag === 0xdf) {
      var isArray = (tag >= 0x90 && tag <= 0x9f) || tag === 0xdc || tag === 0xdd;
      if ((tag >= 0x80 && tag <= 0x9f)) { count = tag & 0x0f; } else {
        var w = (tag === 0xdc || tag === 0xde) ? 2 : 4;
        if (at + w > data.length) { fail("the module summary ends inside a value"); }
        count = Number(uint(w)); at += w;
      }
      var item;
      if (isArray) {
        var items = [];
        for (var i = 0; i < count; i++) { item = readValue(data, at, depth + 1); items.push(item[0]); at = item[1]; }
        return [items, at];
      }
      var mapping = new Map();
      for (var j = 0; j < count; j++) {
        var key = readValue(data, at, depth + 1); at = key[1];
        if (Array.isArray(key[0]) || key[0] instanceof Map) { fail("the module summary has a map key that is not a scalar"); }
        item = readValue(data, at, depth + 1); at = item[1];
        mapping.set(key[0], item[0]);
      }
      return [mapping, at];
    }
    return fail("the module summary holds a msgpack type this reader does not know (0x" + tag.toString(16).padStart(2, "0") + ")");
  }
  function readSummary(data) {
    data = unhex(data, "summary");
    var out = readValue(data, 0, 0);
    if (out[1] !== data.length) { fail("the module summary has bytes after its value"); }
    return out[0];
  }
  function step(node, s) {
    var kind = s[0]; var key = s[1];
    if (Array.isArray(node)) {
      if (kind === "at" && typeof key === "bigint" && key >= 0n && key < BigInt(node.length)) { return node[Number(key)]; }
      if (kind === "key") {
        for (var i = 0; i < node.length; i++) {
          var item = node[i];
          if (Array.isArray(item) && item.length === 2 && typeof item[0] === typeof key && item[0] === key) { return item[1]; }
        }
      }
    }
    return fail("the module summary has nothing at " + kind + " " + (typeof key === "string" ? "'" + key + "'" : String(key)));
  }

  async function verifyHolder(proofJson, stateRoot, module, tableSteps, holder) {
    holder = unhex(holder, "holder");
    if (holder.length < 1 || holder.length > 255) { fail("a holder has 1 to 255 bytes, got " + holder.length); }
    var table = parseTable(tableSteps);
    var proof = parseProof(proofJson);
    var leaves = await checkStateRoot(proof, unhex(stateRoot, "state root"));
    var path = proof.module;
    if (path === null) { fail("the proof holds no module path"); }
    var sameTable = path.table.length === table.length && path.table.every(function (s, i) {
      return s[0] === table[i][0] && typeof s[1] === typeof table[i][1] && s[1] === table[i][1];
    });
    if (path.module !== module || !sameTable) {
      fail("the proof is of " + path.module + " at " + tableName(path.table) + ", not " + module + " at " + tableName(table));
    }
    var names = path.parts.map(function (p) { return p[0]; });
    if (new Set(names).size !== names.length || names.indexOf(module) < 0) {
      fail("the store's parts [" + names.join(", ") + "] do not name " + module + " exactly once");
    }
    var moduleLeaves = [];
    for (var i = 0; i < path.parts.length; i++) { moduleLeaves.push(await moduleLeaf(path.parts[i][0], path.parts[i][1])); }
    var storeRoot = await mixInCount(await merkleRoot(moduleLeaves), BigInt(path.parts.length));
    if (!leaves.has("modules") || !equal(await fieldLeaf("modules", storeRoot), leaves.get("modules"))) {
      fail("the module store's parts do not lead to its field leaf (tampered?)");
    }
    if (!equal(await sha256(path.summary), path.parts[names.indexOf(module)][1])) {
      fail("the summary is not " + module + "'s (its hash is not the part's root)");
    }
    var node = readSummary(path.summary);
    table.forEach(function (s) { node = step(node, s); });
    if (!(node instanceof Uint8Array) || node.length !== 32) { fail(module + "'s summary holds no table root at " + tableName(table)); }
    if (path.bucket !== BigInt(holderBucket(holder))) {
      fail("the bucket is " + path.bucket + ", but " + toHex(holder) + " belongs in " + holderBucket(holder));
    }
    if (path.branch.length !== ACCOUNT_HEIGHT) { fail("a holder-table branch has " + ACCOUNT_HEIGHT + " levels, got " + path.branch.length); }
    var leaf = path.chunk.length ? await sha256(path.chunk) : ZERO32;
    if (!equal(await mixInCount(await branchRoot(leaf, path.bucket, path.branch), path.count), node)) {
      fail("the bucket and its branch do not lead to the table's root (tampered?)");
    }
    var entries = holderEntries(path.chunk);
    entries.forEach(function (e) { if (BigInt(holderBucket(e.holder)) !== path.bucket) { fail("the bucket holds a holder that does not belong in it"); } });
    var found = entries.get(toHex(holder));
    return found ? found.shares : 0n;
  }

  root.StakeworkProofs = { verifyAccount: verifyAccount, verifyHolder: verifyHolder, readSummary: readSummary, toHex: toHex };

  // The account page's "Proof" panel (web/pages/accounts.py): on the button, fetch the proofs for one state root (the
  // one pasted, else the node's head root), verify them here, and compare them with what the node claims.
  if (typeof document === "undefined") { return; }
  var panel = document.querySelector(".proof-panel");
  if (!panel) { return; }
  var msgs = JSON.parse(panel.dataset.msgs);
  var STSWK = [["key", "ledger"], ["key", "shares"]];

  function grouped(v) { return v.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function swk(v, unit) { return grouped(v / 1000000000n) + "." + (v % 1000000000n).toString().padStart(9, "0") + " " + unit; }
  async function getJson(url) {
    var r = await fetch(url, { headers: { Accept: "application/json" } });
    var answer = await r.json().catch(function () { return {}; });
    if (!r.ok) { throw Object.assign(new Error((answer.message || "HTTP " + r.status) + " (" + url + ")"), { unchecked: true }); }
    return answer.data;
  }
  function claimed(name, said, proven) {
    if (BigInt(said) !== proven) { fail(msgs.claim.replace("{name}", name).replace("{said}", said).replace("{proven}", proven.toString())); }
  }
  function row(list, label, value, attrs) {
    var dt = document.createElement("dt"); dt.textContent = label;
    var dd = document.createElement("dd"); dd.textContent = value;
    Object.keys(attrs || {}).forEach(function (k) { dd.dataset[k] = attrs[k]; });
    list.append(dt, dd);
  }

  document.getElementById("verify-proof").addEventListener("click", async function () {
    var out = panel.querySelector(".proof-result");
    var button = this;
    out.textContent = msgs.checking; out.dataset.verdict = "checking"; out.classList.remove("error");
    button.disabled = true;
    var address = panel.dataset.address;
    try {
      var pasted = document.getElementById("trusted-root").value.trim();
      var stateRoot;
      if (pasted) {
        if (!/^0x[0-9a-fA-F]{64}$/.test(pasted)) {
          throw Object.assign(new Error(msgs.root_label + ": 32 bytes (0x and 64 hex digits)"), { unchecked: true });
        }
        stateRoot = pasted.toLowerCase();
      } else {
        stateRoot = (await getJson("/eth/v1/beacon/states/head/root")).root;
      }
      var q = "?state_id=" + encodeURIComponent(stateRoot);
      var acct = await getJson("/v1/proof/account/" + address + q);
      var holder = panel.dataset.liquid ? await getJson("/v1/proof/holder/liquid/" + address + q + "&table=ledger.shares") : null;
      var proven = await verifyAccount(acct.proof, stateRoot, address);
      claimed(msgs.balance, acct.balance, proven.balance);
      claimed(msgs.nonce, acct.nonce, proven.nonce);
      var shares = null;
      if (holder) {
        shares = await verifyHolder(holder.proof, stateRoot, "liquid", STSWK, address);
        claimed(msgs.shares, holder.shares, shares);
      }
      out.textContent = "";
      var head = document.createElement("p"); head.className = "verdict ok";
      var ok = document.createElement("strong"); ok.textContent = msgs.verified; head.append(ok);
      var list = document.createElement("dl"); list.className = "facts";
      row(list, msgs.balance, swk(proven.balance, "SWK"), { value: proven.balance.toString() });
      row(list, msgs.nonce, grouped(proven.nonce), { value: proven.nonce.toString() });
      if (shares !== null) { row(list, msgs.shares, grouped(shares), { value: shares.toString() }); }  // share units, not stSWK
      row(list, msgs.root_label, stateRoot, { value: stateRoot });
      row(list, msgs.slot, grouped(BigInt(acct.slot)) + " " + msgs.slot_said, { value: String(acct.slot) });
      row(list, msgs.source, pasted ? msgs.source_pasted : msgs.source_node);
      out.append(head, list);
      out.dataset.verdict = "verified";
    } catch (err) {
      out.textContent = "";
      var bad = document.createElement("p"); bad.className = "verdict bad";
      var strong = document.createElement("strong");
      strong.textContent = (err.unchecked ? msgs.could_not : msgs.failed) + ": " + String(err.message || err);
      bad.append(strong);
      out.append(bad);
      out.dataset.verdict = err.unchecked ? "error" : "failed";
      out.classList.add("error");
    } finally {
      button.disabled = false;
    }
  });
})(typeof window !== "undefined" ? window : globalThis);
