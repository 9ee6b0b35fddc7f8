#!/usr/bin/env node
// Drives a host server with the real Mattermost JavaScript client (Client4 of @mattermost/client)
// through every plugin method it has, asserting on what comes back. Exits non-zero on failure.
//
// Environment (all required unless marked optional):
//   CLIENT4_BASE_URL       e.g. http://127.0.0.1:8000/hosts/ci-extensions (no trailing slash)
//   CLIENT4_ADMIN_USER / CLIENT4_ADMIN_PASSWORD   a system admin (portal admin)
//   CLIENT4_USER / CLIENT4_PASSWORD               a user without admin rights
//   CLIENT4_BUNDLE / CLIENT4_BUNDLE_ID            a bundle with a server part and a webapp
//   CLIENT4_BUNDLE_V2      the same plugin id, a newer version (replaces it with force)
//   CLIENT4_URL_BUNDLE_URL / CLIENT4_URL_BUNDLE_ID  a bundle served over HTTP (install_from_url)
//   CLIENT4_MARKETPLACE_ID a plugin published in the marketplace the host server points at
//   CLIENT4_BAD_BUNDLE / CLIENT4_BAD_BUNDLE_ID     a bundle whose executable prints garbage, not a handshake
//   CLIENT4_TIMEOUT        optional, seconds to wait for a plugin to run (default 30)
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {Client4, ClientError} = require('@mattermost/client');

function env(name, fallback) {
    const value = process.env[name] ?? fallback;
    if (value === undefined || value === '') {
        throw new Error(`environment variable ${name} is required`);
    }
    return value;
}

const BASE = env('CLIENT4_BASE_URL').replace(/\/+$/, '');
const TIMEOUT_MS = Number(env('CLIENT4_TIMEOUT', '30')) * 1000;
const BUNDLE_ID = env('CLIENT4_BUNDLE_ID');
const URL_ID = env('CLIENT4_URL_BUNDLE_ID');
const MARKET_ID = env('CLIENT4_MARKETPLACE_ID');
const BAD_ID = env('CLIENT4_BAD_BUNDLE_ID');
// Not exercised: getMarketplaceApps, which talks to the Apps framework plugin's own HTTP routes
// (/plugins/com.mattermost.apps/...), not to the plugin management API.

const passed = [];

async function check(name, body) {
    try {
        await body();
    } catch (err) {
        const detail = err instanceof ClientError ?
            `${err.message} (status ${err.status_code}, id ${err.server_error_id}, url ${err.url})` :
            (err && err.stack) || String(err);
        console.error(`FAIL ${name}: ${detail}`);
        console.error(`passed before the failure: ${passed.length}`);
        process.exit(1);
    }
    passed.push(name);
    console.log(`ok   ${name}`);
}

function client(token) {
    const c = new Client4();
    c.setUrl(BASE);
    if (token) {
        c.setToken(token);
    }
    return c;
}

function bundleFile(envName) {
    const file = env(envName);
    return new File([fs.readFileSync(file)], path.basename(file), {type: 'application/gzip'});
}

// The call must fail with this HTTP status and (when given) this AppError id.
async function expectError(promise, status, errorId) {
    let result;
    try {
        result = await promise;
    } catch (err) {
        assert.ok(err instanceof ClientError, `expected a ClientError, got ${err}`);
        assert.equal(err.status_code, status, `status of ${err.url}: ${err.message}`);
        if (errorId) {
            assert.equal(err.server_error_id, errorId, err.message);
        }
        assert.ok(err.message && err.message.length > 0, 'the error has a message');
        return err;
    }
    assert.fail(`expected HTTP ${status} ${errorId || ''}, got success: ${JSON.stringify(result)}`);
    return null;
}

function statusOf(statuses, id) {
    return statuses.find((s) => s.plugin_id === id);
}

async function waitForState(c, id, wanted) {
    const deadline = Date.now() + TIMEOUT_MS;
    let last;
    while (Date.now() < deadline) {
        last = statusOf(await c.getPluginStatuses(), id);
        if (last && wanted.includes(last.state)) {
            return last;
        }
        await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail(`plugin ${id} never reached state ${wanted}: ${JSON.stringify(last)}`);
    return null;
}

function ids(manifests) {
    return manifests.map((m) => m.id);
}

async function main() {
    const admin = client();
    let profile;

    await check('login as a system admin reads the Token header', async () => {
        profile = await admin.login(env('CLIENT4_ADMIN_USER'), env('CLIENT4_ADMIN_PASSWORD'));
        assert.ok(profile.id, 'the profile has an id');
        assert.equal(profile.username, env('CLIENT4_ADMIN_USER'));
        assert.match(admin.getToken(), /^[a-z0-9]{26}$/);
        assert.ok(profile.roles.includes('system_admin'), `roles: ${profile.roles}`);
    });

    await check('getMe with the session token', async () => {
        const me = await admin.getMe();
        assert.equal(me.id, profile.id);
    });

    await check('no token: getPlugins is 401', async () => {
        await expectError(client().getPlugins(), 401);
    });

    await check('getWebappPlugins needs no session', async () => {
        const list = await client().getWebappPlugins();
        assert.ok(Array.isArray(list));
    });

    const user = client();
    await check('a user without admin rights gets 403 on every plugin write and read', async () => {
        await user.login(env('CLIENT4_USER'), env('CLIENT4_PASSWORD'));
        const perm = 'api.context.permissions.app_error';
        await expectError(user.getPlugins(), 403, perm);
        await expectError(user.getPluginStatuses(), 403, perm);
        await expectError(user.uploadPlugin(bundleFile('CLIENT4_BUNDLE')), 403, perm);
        await expectError(user.enablePlugin(BUNDLE_ID), 403, perm);
        await expectError(user.installMarketplacePlugin(MARKET_ID), 403, perm);
    });

    let v1;
    await check('uploadPlugin installs and returns the manifest (disabled)', async () => {
        v1 = await admin.uploadPlugin(bundleFile('CLIENT4_BUNDLE'));
        assert.equal(v1.id, BUNDLE_ID);
        assert.ok(v1.version, 'manifest has a version');
        assert.ok(v1.server, 'manifest keeps its server part');
        const plugins = await admin.getPlugins();
        assert.ok(ids(plugins.inactive).includes(BUNDLE_ID));
        assert.ok(!ids(plugins.active).includes(BUNDLE_ID));
    });

    await check('uploadPlugin of an installed id without force is refused', async () => {
        await expectError(
            admin.uploadPlugin(bundleFile('CLIENT4_BUNDLE')), 400, 'app.plugin.install_id.app_error');
    });

    await check('uploadPlugin with force replaces the installed version', async () => {
        const v2 = await admin.uploadPlugin(bundleFile('CLIENT4_BUNDLE_V2'), true);
        assert.equal(v2.id, BUNDLE_ID);
        assert.notEqual(v2.version, v1.version);
        const plugins = await admin.getPlugins();
        const listed = [...plugins.active, ...plugins.inactive].filter((m) => m.id === BUNDLE_ID);
        assert.equal(listed.length, 1);
        assert.equal(listed[0].version, v2.version);
        v1 = v2;
    });

    await check('enablePlugin starts the plugin process (Running in getPluginStatuses)', async () => {
        const ok = await admin.enablePlugin(BUNDLE_ID);
        assert.deepEqual(ok, {status: 'OK'});
        const status = await waitForState(admin, BUNDLE_ID, [2, 3, 4]);
        assert.equal(status.state, 2, `error: ${status.error}`);
        assert.equal(status.version, v1.version);
        assert.equal(status.name, v1.name);
        for (const key of ['plugin_id', 'cluster_id', 'plugin_path', 'state', 'error', 'name', 'description', 'version']) {
            assert.ok(key in status, `status has ${key}`);
        }
        const plugins = await admin.getPlugins();
        assert.ok(ids(plugins.active).includes(BUNDLE_ID));
    });

    await check('getWebappPlugins lists the client manifest and its bundle is served', async () => {
        const list = await admin.getWebappPlugins();
        const entry = list.find((m) => m.id === BUNDLE_ID);
        assert.ok(entry, `webapp list: ${JSON.stringify(list)}`);
        assert.equal(entry.server, undefined, 'no server part in a client manifest');
        assert.match(entry.webapp.bundle_path, new RegExp(`^/static/${BUNDLE_ID.replace(/\./g, '\\.')}/${BUNDLE_ID.replace(/\./g, '\\.')}_[0-9a-f]{16}_bundle\\.js$`));
        // The webapp rewrites /static/ to /static/plugins/ and loads it from the site URL.
        const url = BASE + entry.webapp.bundle_path.replace('/static/', '/static/plugins/');
        const response = await fetch(url);
        assert.equal(response.status, 200, url);
        assert.ok((await response.text()).length > 0);
    });

    await check('disablePlugin stops it', async () => {
        assert.deepEqual(await admin.disablePlugin(BUNDLE_ID), {status: 'OK'});
        await waitForState(admin, BUNDLE_ID, [0]);
        const list = await admin.getWebappPlugins();
        assert.ok(!ids(list).includes(BUNDLE_ID));
        const plugins = await admin.getPlugins();
        assert.ok(ids(plugins.inactive).includes(BUNDLE_ID));
    });

    await check('a plugin with a bad handshake shows FailedToStart with its error', async () => {
        const manifest = await admin.uploadPlugin(bundleFile('CLIENT4_BAD_BUNDLE'));
        assert.equal(manifest.id, BAD_ID);
        // Mattermost answers OK: activation failures show only in the statuses.
        assert.deepEqual(await admin.enablePlugin(BAD_ID), {status: 'OK'});
        const status = await waitForState(admin, BAD_ID, [2, 3, 4]);
        assert.equal(status.state, 3, JSON.stringify(status));
        assert.ok(status.error.length > 0, 'the status says why');
        const plugins = await admin.getPlugins();
        assert.ok(ids(plugins.inactive).includes(BAD_ID));
        assert.ok(!ids(await admin.getWebappPlugins()).includes(BAD_ID));
        assert.deepEqual(await admin.removePlugin(BAD_ID), {status: 'OK'});
    });

    await check('first admin visit to the marketplace is recorded', async () => {
        const before = await admin.getFirstAdminVisitMarketplaceStatus();
        assert.equal(before.name, 'FirstAdminVisitMarketplace');
        assert.deepEqual(await admin.setFirstAdminVisitMarketplaceStatus(), {status: 'OK'});
        const after = await admin.getFirstAdminVisitMarketplaceStatus();
        assert.equal(after.value, 'true');
        await expectError(user.getFirstAdminVisitMarketplaceStatus(), 403);
    });

    await check('enable and disable of an unknown plugin are 404', async () => {
        const notInstalled = 'app.plugin.not_installed.app_error';
        await expectError(admin.enablePlugin('com.example.nope'), 404, notInstalled);
        await expectError(admin.disablePlugin('com.example.nope'), 404, notInstalled);
    });

    await check('installPluginFromUrl installs; again without force is refused; with force ok', async () => {
        const url = env('CLIENT4_URL_BUNDLE_URL');
        const manifest = await admin.installPluginFromUrl(url);
        assert.equal(manifest.id, URL_ID);
        await expectError(admin.installPluginFromUrl(url), 400, 'app.plugin.install_id.app_error');
        const again = await admin.installPluginFromUrl(url, true);
        assert.equal(again.id, URL_ID);
    });

    await check('installPluginFromUrl of a missing file says the download failed', async () => {
        const missing = env('CLIENT4_URL_BUNDLE_URL').replace(/[^/]+$/, 'missing.tar.gz');
        await expectError(
            admin.installPluginFromUrl(missing), 400, 'api.plugin.install.download_failed.app_error');
    });

    await check('getMarketplacePlugins merges the marketplace with installed plugins', async () => {
        const all = await admin.getMarketplacePlugins('');
        assert.ok(Array.isArray(all));
        const market = all.find((p) => p.manifest && p.manifest.id === MARKET_ID);
        assert.ok(market, `marketplace entry ${MARKET_ID} in ${JSON.stringify(all.map((p) => p.manifest && p.manifest.id))}`);
        assert.equal(market.installed_version, '');
        assert.match(market.download_url, /\.tar\.gz$/);
        assert.ok(market.signature, 'the marketplace entry is signed');
        const local = all.find((p) => p.manifest && p.manifest.id === BUNDLE_ID);
        assert.ok(local, 'an installed plugin is listed');
        assert.equal(local.installed_version, v1.version);
        const names = all.map((p) => (p.manifest.name || '').toLowerCase());
        assert.deepEqual(names, [...names].sort(), 'sorted by name');
    });

    await check('getMarketplacePlugins filters by id; local_only and remote_only split', async () => {
        const filtered = await admin.getMarketplacePlugins(MARKET_ID);
        assert.deepEqual(filtered.map((p) => p.manifest.id), [MARKET_ID]);
        const localOnly = await admin.getMarketplacePlugins('', true);
        assert.ok(localOnly.some((p) => p.manifest.id === BUNDLE_ID));
        assert.ok(!localOnly.some((p) => p.manifest.id === MARKET_ID));
        const remote = await admin.getRemoteMarketplacePlugins('');
        assert.ok(remote.some((p) => p.manifest.id === MARKET_ID));
        assert.ok(!remote.some((p) => p.manifest.id === BUNDLE_ID));
    });

    await check('installMarketplacePlugin downloads, verifies and installs the release', async () => {
        const manifest = await admin.installMarketplacePlugin(MARKET_ID);
        // The server answers with the installed manifest (201), as Mattermost does.
        assert.equal(manifest.id, MARKET_ID);
        const listed = await admin.getMarketplacePlugins(MARKET_ID);
        assert.equal(listed[0].installed_version, manifest.version);
        assert.deepEqual(await admin.enablePlugin(MARKET_ID), {status: 'OK'});
        const status = await waitForState(admin, MARKET_ID, [2, 3, 4]);
        assert.equal(status.state, 2, `error: ${status.error}`);
    });

    await check('installMarketplacePlugin of an unknown id fails', async () => {
        await expectError(admin.installMarketplacePlugin('com.example.not-in-the-market'), 500);
    });

    await check('removePlugin removes every installed plugin; again is 404', async () => {
        for (const id of [BUNDLE_ID, URL_ID, MARKET_ID]) {
            assert.deepEqual(await admin.removePlugin(id), {status: 'OK'});
        }
        const plugins = await admin.getPlugins();
        const left = ids([...plugins.active, ...plugins.inactive]);
        for (const id of [BUNDLE_ID, URL_ID, MARKET_ID]) {
            assert.ok(!left.includes(id), `${id} still listed`);
            assert.equal(statusOf(await admin.getPluginStatuses(), id), undefined);
        }
        await expectError(admin.removePlugin(BUNDLE_ID), 404, 'app.plugin.not_installed.app_error');
    });

    console.log(`client4 flow: ${passed.length} checks passed against ${BASE}`);
}

main().catch((err) => {
    console.error(`FAIL unexpected: ${(err && err.stack) || err}`);
    process.exit(1);
});
