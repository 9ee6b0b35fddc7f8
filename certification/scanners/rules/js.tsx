// Test cases for js.yml: "ruleid:" marks a line that must be reported, "ok:" one that must not.
import React from 'react';
import {exec} from 'child_process';
import * as fs from 'fs';

export function Post({html, text}: {html: string; text: string}) {
    // ruleid: js-dangerously-set-inner-html
    const bad = <div dangerouslySetInnerHTML={{__html: html}}/>;
    // ok: js-dangerously-set-inner-html
    const good = <div>{text}</div>;
    return [bad, good];
}

export function code(input: string, el: HTMLElement) {
    // ruleid: js-eval
    eval(input);
    // ruleid: js-new-function
    const f = new Function('a', input);
    // ruleid: js-string-timer
    setTimeout('doThing()', 100);
    // ok: js-string-timer
    setTimeout(() => f(1), 100);
    // ruleid: js-inner-html-assignment
    el.innerHTML = input;
    // ok: js-inner-html-assignment
    el.innerHTML = '';
    // ok: js-inner-html-assignment
    el.textContent = input;
}

export function shell(name: string) {
    // ruleid: js-child-process-exec
    exec('ls ' + name);
    // ok: js-child-process-exec
    exec('ls -la');
}

export function secrets() {
    // ruleid: js-weak-random-secret
    const csrfToken = Math.random().toString(36);
    // ok: js-weak-random-secret
    const offset = Math.random() * 10;
    // ok: js-weak-random-secret
    const sessionId = crypto.randomUUID();
    return [csrfToken, offset, sessionId];
}

export async function queries(db: any, name: string) {
    // ruleid: js-sql-string-concat
    await db.query('SELECT * FROM t WHERE name = ' + name);
    // ruleid: js-sql-string-concat
    await db.query(`SELECT * FROM t WHERE name = '${name}'`);
    // ok: js-sql-string-concat
    await db.query('SELECT * FROM t WHERE name = $1', [name]);
}

export function credentials(settings: any) {
    // ruleid: js-hardcoded-credential
    const apiKey = 'AKIA0123456789ABCDEF';
    // ruleid: js-hardcoded-credential
    settings.clientSecret = 'abcdef0123456789';
    // ok: js-hardcoded-credential
    const tokenLabel = 'Token';
    // ok: js-hardcoded-credential
    const apiKeyFromSettings = settings.apiKey;
    return [apiKey, tokenLabel, apiKeyFromSettings];
}

export function urls() {
    // ruleid: js-plain-http-url
    fetch('http://tracker.example.com/collect');
    // ok: js-plain-http-url
    fetch('https://tracker.example.com/collect');
    // ok: js-plain-http-url
    fetch('http://localhost:8065/plugins/x');
}

export function tls() {
    // ruleid: js-tls-reject-unauthorized
    const agentOptions = {rejectUnauthorized: false};
    // ok: js-tls-reject-unauthorized
    const safeOptions = {rejectUnauthorized: true};
    return [agentOptions, safeOptions];
}

export function files() {
    // ruleid: js-world-writable-file
    fs.chmodSync('/tmp/x', 0o777);
    // ruleid: js-world-writable-file
    fs.writeFileSync('/tmp/x', 'data', {mode: 0o666});
    // ok: js-world-writable-file
    fs.chmodSync('/tmp/x', 0o600);
}

export function messages(w: Window) {
    // ruleid: js-postmessage-wildcard
    w.postMessage({a: 1}, '*');
    // ok: js-postmessage-wildcard
    w.postMessage({a: 1}, 'https://example.com');
}
