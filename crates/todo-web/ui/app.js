// Todo Chatbot UI. Plain JavaScript, no build step. Talks only to its own origin: the todo-web
// server keeps the session in an HttpOnly cookie (this script never sees the bearer token) and
// expects the CSRF token from /api/session in the X-CSRF-Token header of every change.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);

  const state = {
    userId: null,
    csrf: null,
    filter: "all",
    tasks: [],
    conversationId: null,
    editingId: null,
    busy: false,
  };

  const CONVERSATION_KEY = "todo.conversation";
  const NAME_KEY = "todo.account";

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(method, path, body, retried) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && state.csrf) headers["X-CSRF-Token"] = state.csrf;
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (_) {
      throw new ApiError(0, "network", "Can't reach the server. Check your connection and try again.");
    }
    if (res.status === 204) return null;
    let data = null;
    const type = res.headers.get("Content-Type") || "";
    if (type.includes("application/json")) {
      try { data = await res.json(); } catch (_) { data = null; }
    }
    if (res.ok) return data;
    const err = (data && data.error) || {};
    // The CSRF token changes when the session does (e.g. signed in in another tab): learn the new
    // one and try once more.
    if (res.status === 403 && err.code === "csrf_failed" && !retried) {
      const session = await fetchSession();
      if (session) return api(method, path, body, true);
    }
    const message = err.message || defaultMessage(res.status);
    throw new ApiError(res.status, err.code || "http_" + res.status, message);
  }

  function defaultMessage(status) {
    if (status === 502 || status === 503) return "The task service is unavailable right now. Please try again in a moment.";
    if (status === 504) return "The task service took too long to answer. Please try again.";
    if (status === 401) return "Your session has expired. Please sign in again.";
    if (status === 404) return "That item no longer exists.";
    return "Something went wrong (" + status + "). Please try again.";
  }

  async function fetchSession() {
    try {
      const s = await api("GET", "/api/session", undefined, true);
      state.userId = s.user_id;
      state.csrf = s.csrf_token;
      return s;
    } catch (e) {
      if (e.status === 401) return null;
      throw e;
    }
  }

  const userPath = (rest) => "/api/" + encodeURIComponent(state.userId) + rest;

  // Route every failure: expired sessions go back to sign-in, outages to the banner; the
  // caller gets `true` when it should show the message inline instead (validation etc.).
  function handleError(e) {
    if (e.status === 401) {
      signedOut("Your session has expired. Please sign in again.");
      return false;
    }
    if (e.status === 0 || e.status >= 500) {
      showBanner(e.message, "error");
      return false;
    }
    return true;
  }

  // ---------------------------------------------------------------- Banner & helpers

  function showBanner(text, kind) {
    $("banner-text").textContent = text;
    $("banner").className = "banner " + (kind || "error");
    $("banner").hidden = false;
  }

  function hideBanner() {
    $("banner").hidden = true;
  }

  function setFieldError(el, input, message) {
    el.textContent = message || "";
    el.hidden = !message;
    if (input) {
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of [].concat(children || [])) {
      if (c === null || c === undefined) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function setBusy(button, busy, label) {
    button.disabled = busy;
    if (label) button.textContent = label;
    button.setAttribute("aria-busy", busy ? "true" : "false");
  }

  // ---------------------------------------------------------------- Views

  function showView(name) {
    $("loading").hidden = true;
    $("auth-view").hidden = name !== "auth";
    $("app-view").hidden = name !== "app";
    $("account").hidden = name !== "app";
  }

  function signedOut(message) {
    chatGeneration++;
    state.userId = null;
    state.csrf = null;
    state.tasks = [];
    state.conversationId = null;
    state.filter = "all";
    state.editingId = null;
    for (const b of document.querySelectorAll(".filter")) {
      b.setAttribute("aria-pressed", String(b.dataset.filter === "all"));
    }
    $("task-list").replaceChildren();
    $("chat-log").replaceChildren();
    showView("auth");
    setAuthMode("signin");
    if (message) showBanner(message, "warning");
    $("auth-email").focus();
  }

  async function signedIn() {
    hideBanner();
    showView("app");
    const name = sessionStorage.getItem(NAME_KEY);
    $("account-name").textContent = name || "Signed in";
    await Promise.all([loadTasks(), loadConversation()]);
  }

  // ---------------------------------------------------------------- Auth

  let authMode = "signin";

  function setAuthMode(mode) {
    authMode = mode;
    const signup = mode === "signup";
    $("tab-signin").setAttribute("aria-selected", String(!signup));
    $("tab-signup").setAttribute("aria-selected", String(signup));
    $("tab-signin").tabIndex = signup ? -1 : 0;
    $("tab-signup").tabIndex = signup ? 0 : -1;
    $("name-field").hidden = !signup;
    $("password-hint").hidden = !signup;
    $("auth-password").autocomplete = signup ? "new-password" : "current-password";
    $("auth-title").textContent = signup ? "Create your account" : "Welcome back";
    $("auth-subtitle").textContent = signup
      ? "Keep your tasks in one place and manage them by chatting."
      : "Sign in to see your tasks and chat with your assistant.";
    $("auth-submit").textContent = signup ? "Create account" : "Sign in";
    setFieldError($("auth-error"), null, "");
  }

  function onTabKey(e) {
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      const next = authMode === "signin" ? "signup" : "signin";
      setAuthMode(next);
      $(next === "signup" ? "tab-signup" : "tab-signin").focus();
      e.preventDefault();
    }
  }

  async function onAuthSubmit(e) {
    e.preventDefault();
    const email = $("auth-email").value.trim();
    const password = $("auth-password").value;
    const name = $("auth-name").value.trim();
    const errorEl = $("auth-error");
    if (!email || !email.includes("@")) {
      setFieldError(errorEl, $("auth-email"), "Enter a valid email address.");
      $("auth-email").focus();
      return;
    }
    setFieldError(errorEl, $("auth-email"), "");
    if (password.length < 8) {
      setFieldError(errorEl, $("auth-password"), "The password must be at least 8 characters.");
      $("auth-password").focus();
      return;
    }
    setFieldError(errorEl, $("auth-password"), "");
    const signup = authMode === "signup";
    const button = $("auth-submit");
    setBusy(button, true, signup ? "Creating account…" : "Signing in…");
    try {
      const body = signup ? { email, password } : { email, password };
      if (signup && name) body.name = name;
      const res = await api("POST", signup ? "/api/auth/register" : "/api/auth/login", body);
      state.userId = res.user_id;
      state.csrf = res.csrf_token;
      sessionStorage.setItem(NAME_KEY, name || email);
      $("auth-password").value = "";
      await signedIn();
    } catch (err) {
      if (err.status === 401) {
        setFieldError(errorEl, $("auth-password"), err.message || "Wrong email or password.");
      } else if (err.status === 0 || err.status >= 500) {
        setFieldError(errorEl, null, err.message);
      } else {
        setFieldError(errorEl, null, err.message);
      }
    } finally {
      setBusy(button, false, signup ? "Create account" : "Sign in");
    }
  }

  async function onSignOut() {
    try {
      await api("POST", "/api/auth/logout");
    } catch (_) {
      // The cookie is gone either way once the server answers; a network failure leaves the
      // user signed in, which the next request will reveal.
    }
    sessionStorage.removeItem(NAME_KEY);
    localStorage.removeItem(CONVERSATION_KEY);
    signedOut("");
    hideBanner();
  }

  // ---------------------------------------------------------------- Tasks

  async function loadTasks() {
    try {
      const tasks = await api("GET", userPath("/tasks?status=" + state.filter));
      state.tasks = Array.isArray(tasks) ? tasks : [];
      renderTasks();
    } catch (e) {
      if (handleError(e)) showBanner(e.message, "error");
    }
  }

  function renderTasks() {
    const list = $("task-list");
    list.replaceChildren(...state.tasks.map(renderTask));
    const empty = $("task-empty");
    const messages = {
      all: "No tasks yet. Add one above or ask the assistant.",
      pending: "Nothing pending. Nice work!",
      completed: "No completed tasks yet.",
    };
    empty.textContent = messages[state.filter];
    empty.hidden = state.tasks.length > 0;
    const n = state.tasks.length;
    const label = { all: "total", pending: "pending", completed: "completed" }[state.filter];
    $("task-count").textContent = n + " " + label;
    if (state.editingId !== null) {
      const input = document.querySelector(".task-edit input");
      if (input) input.focus();
    }
  }

  function renderTask(task) {
    if (state.editingId === task.id) return renderEditor(task);
    const checkId = "task-" + task.id + "-done";
    return el("li", { class: "task" + (task.completed ? " done" : ""), "data-id": task.id }, [
      el("input", {
        type: "checkbox",
        id: checkId,
        class: "task-check",
        checked: task.completed,
        onchange: (e) => toggleTask(task, e.target),
      }),
      el("div", { class: "task-body" }, [
        el("label", { for: checkId, class: "task-title", text: task.title }),
        task.description ? el("p", { class: "task-desc", text: task.description }) : null,
        el("p", { class: "task-meta", text: "#" + task.id + (task.completed ? " · completed" : "") }),
      ]),
      el("div", { class: "task-actions" }, [
        el("button", {
          type: "button",
          class: "button ghost small",
          "aria-label": "Edit “" + task.title + "”",
          text: "Edit",
          onclick: () => { state.editingId = task.id; renderTasks(); },
        }),
        el("button", {
          type: "button",
          class: "button danger-ghost small",
          "aria-label": "Delete “" + task.title + "”",
          text: "Delete",
          onclick: (e) => deleteTask(task, e.currentTarget),
        }),
      ]),
    ]);
  }

  function renderEditor(task) {
    const titleId = "edit-" + task.id + "-title";
    const descId = "edit-" + task.id + "-desc";
    const errId = "edit-" + task.id + "-error";
    const title = el("input", { id: titleId, maxlength: "200", value: task.title, "aria-describedby": errId });
    const desc = el("textarea", { id: descId, rows: "2", maxlength: "1000" });
    desc.value = task.description || "";
    const error = el("p", { id: errId, class: "form-error", hidden: true });
    const cancel = () => { state.editingId = null; renderTasks(); focusTask(task.id); };
    const form = el("form", {
      class: "task-edit stack",
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        const t = title.value.trim();
        if (!t) { setFieldError(error, title, "The title can't be empty."); title.focus(); return; }
        if (t.length > 200) { setFieldError(error, title, "Keep the title under 200 characters."); return; }
        const save = form.querySelector("button[type=submit]");
        setBusy(save, true);
        try {
          await api("PUT", userPath("/tasks/" + task.id), { title: t, description: desc.value.trim() });
          state.editingId = null;
          await loadTasks();
          focusTask(task.id);
        } catch (err) {
          setBusy(save, false);
          if (handleError(err)) setFieldError(error, title, err.message);
        }
      },
      onkeydown: (e) => { if (e.key === "Escape") { e.preventDefault(); cancel(); } },
    }, [
      el("div", { class: "field" }, [el("label", { for: titleId, text: "Title" }), title]),
      el("div", { class: "field" }, [el("label", { for: descId, text: "Details" }), desc]),
      error,
      el("div", { class: "form-actions" }, [
        el("button", { type: "button", class: "button ghost", text: "Cancel", onclick: cancel }),
        el("button", { type: "submit", class: "button primary", text: "Save" }),
      ]),
    ]);
    return el("li", { class: "task editing", "data-id": task.id }, [form]);
  }

  function focusTask(id) {
    const check = $("task-" + id + "-done");
    if (check) check.focus();
  }

  async function onTaskSubmit(e) {
    e.preventDefault();
    const titleEl = $("task-title");
    const title = titleEl.value.trim();
    const description = $("task-description").value.trim();
    const errorEl = $("task-error");
    if (!title) {
      setFieldError(errorEl, titleEl, "Give the task a title.");
      titleEl.focus();
      return;
    }
    if (title.length > 200) {
      setFieldError(errorEl, titleEl, "Keep the title under 200 characters.");
      titleEl.focus();
      return;
    }
    setFieldError(errorEl, titleEl, "");
    const button = $("task-add");
    setBusy(button, true);
    try {
      const body = { title };
      if (description) body.description = description;
      await api("POST", userPath("/tasks"), body);
      titleEl.value = "";
      $("task-description").value = "";
      await loadTasks();
      titleEl.focus();
    } catch (err) {
      if (handleError(err)) setFieldError(errorEl, titleEl, err.message);
    } finally {
      setBusy(button, false);
    }
  }

  async function toggleTask(task, checkbox) {
    checkbox.disabled = true;
    try {
      if (checkbox.checked) {
        await api("PATCH", userPath("/tasks/" + task.id + "/complete"));
      } else {
        await api("PUT", userPath("/tasks/" + task.id), { completed: false });
      }
      await loadTasks();
      focusTask(task.id);
    } catch (err) {
      checkbox.checked = !checkbox.checked;
      checkbox.disabled = false;
      if (handleError(err)) showBanner(err.message, "error");
    }
  }

  async function deleteTask(task, button) {
    setBusy(button, true);
    try {
      await api("DELETE", userPath("/tasks/" + task.id));
      await loadTasks();
      $("task-title").focus();
    } catch (err) {
      setBusy(button, false);
      if (handleError(err)) showBanner(err.message, "error");
    }
  }

  function setFilter(filter) {
    state.filter = filter;
    for (const b of document.querySelectorAll(".filter")) {
      b.setAttribute("aria-pressed", String(b.dataset.filter === filter));
    }
    loadTasks();
  }

  // ---------------------------------------------------------------- Chat

  // Bumped whenever the chat log changes under a load in flight, so a stale load is dropped.
  let chatGeneration = 0;

  async function loadConversation() {
    const generation = ++chatGeneration;
    const log = $("chat-log");
    log.replaceChildren(el("li", { class: "chat-welcome muted", text: "Loading the conversation…" }));
    try {
      const conversations = await api("GET", userPath("/conversations"));
      if (generation !== chatGeneration) return;
      if (!Array.isArray(conversations) || conversations.length === 0) {
        state.conversationId = null;
        renderChatWelcome();
        return;
      }
      const remembered = Number(localStorage.getItem(CONVERSATION_KEY));
      const pick = conversations.find((c) => c.id === remembered) || conversations[0];
      state.conversationId = pick.id;
      const messages = await api("GET", userPath("/conversations/" + pick.id + "/messages"));
      if (generation !== chatGeneration) return;
      log.replaceChildren();
      for (const m of messages || []) {
        appendMessage(m.role, m.content, Array.isArray(m.tool_calls) ? m.tool_calls : []);
      }
      if (!messages || messages.length === 0) renderChatWelcome();
    } catch (e) {
      if (generation !== chatGeneration) return;
      renderChatWelcome();
      if (handleError(e)) showBanner(e.message, "error");
    }
  }

  function renderChatWelcome() {
    $("chat-log").replaceChildren(el("li", { class: "chat-welcome" }, [
      el("p", { class: "chat-welcome-title", text: "Manage your tasks by chatting." }),
      el("p", { class: "muted", text: "Try: “Add a task to buy groceries”, “What's pending?”, “Mark task 1 as complete”." }),
    ]));
  }

  function describeToolCall(call) {
    const r = call.result || {};
    const a = call.arguments || {};
    if (r.error) return { ok: false, text: call.name.replace(/_/g, " ") + " failed: " + r.error };
    const title = r.title ? " “" + r.title + "”" : "";
    const id = r.task_id !== undefined ? " #" + r.task_id : "";
    switch (call.name) {
      case "add_task": return { ok: true, text: "Added task" + id + title };
      case "complete_task": return { ok: true, text: "Completed task" + id + title };
      case "delete_task": return { ok: true, text: "Deleted task" + id + title };
      case "update_task": return { ok: true, text: "Updated task" + id + title };
      case "list_tasks": {
        const n = r.count !== undefined ? r.count : (Array.isArray(r.tasks) ? r.tasks.length : "?");
        const which = a.status && a.status !== "all" ? " " + a.status : "";
        return { ok: true, text: "Listed " + n + which + " task" + (n === 1 ? "" : "s") };
      }
      default: return { ok: true, text: call.name + " " + JSON.stringify(r) };
    }
  }

  function appendMessage(role, content, toolCalls) {
    const log = $("chat-log");
    const welcome = log.querySelector(".chat-welcome");
    if (welcome) welcome.remove();
    const calls = (toolCalls || []).map((c) => {
      const d = describeToolCall(c);
      return el("li", { class: "tool-call" + (d.ok ? "" : " failed"), title: c.name + " " + JSON.stringify(c.arguments || {}) }, [
        el("span", { class: "tool-name", text: c.name }),
        el("span", { class: "tool-text", text: d.text }),
      ]);
    });
    const who = role === "user" ? "You" : "Assistant";
    const item = el("li", { class: "msg " + (role === "user" ? "from-user" : "from-assistant") }, [
      el("span", { class: "visually-hidden", text: who + ": " }),
      el("div", { class: "bubble", text: content }),
      calls.length ? el("ul", { class: "tool-calls", "aria-label": "What the assistant did" }, calls) : null,
    ]);
    log.append(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }

  async function onChatSubmit(e) {
    e.preventDefault();
    const input = $("chat-input");
    const message = input.value.trim();
    const errorEl = $("chat-error");
    if (!message) {
      setFieldError(errorEl, input, "Type a message first.");
      input.focus();
      return;
    }
    setFieldError(errorEl, input, "");
    chatGeneration++;
    const send = $("chat-send");
    setBusy(send, true);
    input.value = "";
    appendMessage("user", message, []);
    const typing = el("li", { class: "msg from-assistant typing", "aria-label": "Assistant is typing" }, [
      el("div", { class: "bubble" }, [el("span", { class: "dot" }), el("span", { class: "dot" }), el("span", { class: "dot" })]),
    ]);
    $("chat-log").append(typing);
    try {
      const body = { message };
      if (state.conversationId !== null) body.conversation_id = state.conversationId;
      const res = await api("POST", userPath("/chat"), body);
      typing.remove();
      state.conversationId = res.conversation_id;
      localStorage.setItem(CONVERSATION_KEY, String(res.conversation_id));
      appendMessage("assistant", res.response, res.tool_calls);
      const changed = (res.tool_calls || []).some((c) => c.name !== "list_tasks" && !(c.result && c.result.error));
      if (changed) await loadTasks();
    } catch (err) {
      typing.remove();
      input.value = message;
      if (handleError(err)) setFieldError(errorEl, input, err.message);
    } finally {
      setBusy(send, false);
      input.focus();
    }
  }

  function onNewChat() {
    chatGeneration++;
    state.conversationId = null;
    localStorage.removeItem(CONVERSATION_KEY);
    renderChatWelcome();
    $("chat-input").focus();
  }

  // ---------------------------------------------------------------- Start

  function wire() {
    $("tab-signin").addEventListener("click", () => setAuthMode("signin"));
    $("tab-signup").addEventListener("click", () => setAuthMode("signup"));
    $("tab-signin").addEventListener("keydown", onTabKey);
    $("tab-signup").addEventListener("keydown", onTabKey);
    $("auth-form").addEventListener("submit", onAuthSubmit);
    $("sign-out").addEventListener("click", onSignOut);
    $("task-form").addEventListener("submit", onTaskSubmit);
    $("task-title").addEventListener("input", () => setFieldError($("task-error"), $("task-title"), ""));
    $("chat-form").addEventListener("submit", onChatSubmit);
    $("new-chat").addEventListener("click", onNewChat);
    $("banner-close").addEventListener("click", hideBanner);
    for (const b of document.querySelectorAll(".filter")) {
      b.addEventListener("click", () => setFilter(b.dataset.filter));
    }
  }

  async function start() {
    wire();
    try {
      const session = await fetchSession();
      if (session) await signedIn();
      else signedOut("");
    } catch (e) {
      showView("auth");
      showBanner(e.message, "error");
    }
  }

  start();
})();
