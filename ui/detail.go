package ui

import (
	"fmt"
	"strings"
	"time"

	"tokentop/flows"
	"tokentop/flows/redact"
)

// labelW is the width of the labels in the panes.
const labelW = 11

// detailLines is the selected connection's detail pane, w cells wide.
func (m *Model) detailLines(r *row, w int) []string {
	if r == nil {
		return nil
	}
	if r.broken != nil {
		return m.brokenLines(r, w)
	}
	now := m.clock
	c, st := r.conn, &r.st
	style, condText := m.conditionStyle(r.cond.Condition), label(r.cond.Condition)
	if !m.loaded {
		style, condText = m.st.Muted, loadingLabel
	}

	// Two columns when there is a second one to fill: claims or events.
	wide := w >= 100 && (len(r.claims) > 0 || len(r.idClaims) > 0 || len(r.st.Events) > 0)
	leftW := w
	if wide {
		leftW = w * 55 / 100
	}

	var left []string
	label := func(k string) string { return m.st.Label.Render(fit(k, labelW)) + " " }
	indent := strings.Repeat(" ", labelW+1)
	add := func(k, v string) { left = append(left, label(k)+v) }
	// addWrapped adds a value that may be long (a URL, an id, an error)
	// over as many lines as it takes, under the label's indent.
	addWrapped := func(k, v string, render func(...string) string, vw int) {
		for i, l := range wrap(v, max(vw-labelW-1, 10)) {
			if i == 0 {
				left = append(left, label(k)+render(l))
			} else {
				left = append(left, indent+render(l))
			}
		}
	}

	title := m.st.PaneTitle.Render(r.name) +
		m.st.Muted.Render(m.teamTitle(r)+" · "+r.provider+" · "+r.flow+" · ") + style.Render(condText)
	if j := m.busy[c.Name]; j != nil {
		title += m.st.Accent.Render(" · " + j.kind.doing())
	}
	left = append(left, title)
	if st.LastError != "" {
		k, e := "last error", forPeople(st.LastError)
		if !st.LastErrorAt.IsZero() {
			addWrapped(k, e+" ("+ago(now, st.LastErrorAt)+")", m.st.Danger.Render, leftW)
		} else {
			addWrapped(k, e, m.st.Danger.Render, leftW)
		}
	}
	if c.Note != "" {
		addWrapped("note", safeText(c.Note), m.st.Bold.Render, leftW)
	}

	if t := st.Token; t == nil && r.renewable {
		add("token", m.st.Muted.Render("none yet — one is fetched on first use"))
	} else if t == nil {
		add("token", m.st.Muted.Render("none — signed out"))
	} else {
		if m.revealed == c.Name {
			addWrapped("token", t.AccessToken, m.st.Warn.Render, leftW)
		} else {
			add("token", redact.Mask(t.AccessToken)+m.st.Muted.Render("  (v reveals)"))
		}
		if t.RefreshToken != "" {
			add("refresh", "present")
		} else {
			add("refresh", m.st.Muted.Render("none"))
		}
		if r.scopes != "" {
			addWrapped("scopes", r.scopes, plain, leftW)
		}
		if aud := t.Extra["audience"]; aud != "" { // RFC 8707: what the token is for
			addWrapped("audience", safeText(aud), plain, leftW)
		}
		if it := t.Extra["issued_token_type"]; it != "" { // RFC 8693 §2.2.1
			addWrapped("issued as", safeText(it), plain, leftW)
		}
		if !t.ObtainedAt.IsZero() {
			add("obtained", localTime(t.ObtainedAt, now, m.loc))
		}
		if t.HasExpiry() {
			add("expires", localTime(t.Expiry, now, m.loc))
		} else {
			add("expires", m.st.Muted.Render("no expiry given"))
		}
		for _, n := range t.Notes {
			addWrapped("remark", redact.Sanitize(n), m.st.Muted.Render, leftW)
		}
	}
	add("renewal", m.renewalPlan(r))
	if !st.LastRenewal.IsZero() {
		add("renewed", localTime(st.LastRenewal, now, m.loc))
	}
	if ch := st.LastCheck; ch != nil {
		text := r.checkCell(now)
		if ch.Err != "" {
			text += " · " + redact.Sanitize(ch.Err)
		}
		if r.checkOK {
			addWrapped("check", text, plain, leftW)
		} else {
			addWrapped("check", text, m.st.Danger.Render, leftW)
		}
		if in := ch.Introspection; in != nil { // RFC 7662 §2.2
			addWrapped("introspect", introspectionText(in, now, m.loc), plain, leftW)
		}
	}
	left = append(left, m.healthLines(r, leftW, label("health"), indent)...)
	// Aha!'s URLs are templates: show them on the account the token belongs
	// to (account_subdomain after a sign-in at "secure"), else the
	// configured one.
	sub := c.Subdomain
	if st.Token != nil && st.Token.Extra["account_subdomain"] != "" {
		sub = st.Token.Extra["account_subdomain"]
	}
	for _, u := range endpointsOf(c) {
		if u.v != "" {
			if x := c.ExpandURL(u.v, sub); x != "" {
				u.v = x
			}
			addWrapped(u.k, safeText(u.v), plain, leftW)
		}
	}
	if c.ClientID != "" {
		addWrapped("client id", safeText(c.ClientID), plain, leftW)
	}
	if c.Username != "" {
		addWrapped("username", safeText(c.Username), plain, leftW)
	}
	if c.InsecureSkipVerify {
		add("TLS", m.st.Danger.Render("certificates are NOT verified (insecure_skip_verify)"))
	}

	rightW := w
	if wide {
		rightW = w - leftW - 2
	}
	var right []string
	// addRight adds a value after a prefix of pw cells, wrapped under it.
	addRight := func(prefix string, pw int, v string, render func(...string) string) {
		indent := strings.Repeat(" ", pw)
		for i, l := range wrap(v, max(rightW-pw, 10)) {
			if i == 0 {
				right = append(right, prefix+render(l))
			} else {
				right = append(right, indent+render(l))
			}
		}
	}
	addClaims := func(title, note string, claims []claim) {
		if len(claims) == 0 {
			return
		}
		right = append(right, m.st.PaneTitle.Render(title)+m.st.Muted.Render(note))
		nameW := 0
		for _, cl := range claims {
			nameW = max(nameW, len(cl.name))
		}
		nameW = min(nameW, 18)
		for _, cl := range claims {
			v := cl.value
			if !cl.at.IsZero() {
				if v != "" {
					v += " · "
				}
				v += cl.at.In(m.loc).Format("2006-01-02 15:04:05 MST")
			}
			addRight("  "+m.st.Label.Render(fit(cl.name, nameW))+" ", 2+nameW+1, v, plain)
		}
	}
	// OIDC Core §3.1.3.7: the ID token's signature, iss, aud, exp and
	// nonce were checked at sign-in; the access token's claims never are.
	addClaims("id token", " (verified)", r.idClaims)
	addClaims("claims", " (JWT payload, unverified)", r.claims)
	if n := len(st.Events); n > 0 {
		right = append(right, m.st.PaneTitle.Render("events")+m.st.Muted.Render(" (latest first)"))
		for i := n - 1; i >= 0; i-- {
			e := st.Events[i]
			kind := string(e.Kind)
			ks := m.st.Muted
			if e.Kind == flows.EventFailure {
				ks = m.st.Danger
			}
			at := eventTime(e.At, now, m.loc)
			addRight("  "+m.st.Muted.Render(at)+" "+ks.Render(fit(kind, 8))+" ", 2+len(at)+1+8+1,
				redact.Sanitize(forPeople(e.Detail)), plain)
		}
	}

	if !wide || len(right) == 0 {
		if len(right) > 0 {
			left = append(left, "")
		}
		return append(left, right...)
	}
	lines := make([]string, max(len(left), len(right)))
	for i := range lines {
		var l, rt string
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			rt = right[i]
		}
		lines[i] = fit(l, leftW) + "  " + clip(rt, rightW)
	}
	return lines
}

// brokenLines is the detail pane of an error row: every problem of its
// table, whole.
func (m *Model) brokenLines(r *row, w int) []string {
	lines := []string{m.st.PaneTitle.Render(r.name) + m.st.Muted.Render(" · ") +
		m.st.Danger.Render(flows.Misconfigured.String()) + m.st.Muted.Render(fmt.Sprintf(" · line %d; the other connections work", r.conn.Line))}
	for _, p := range r.broken {
		lines = append(lines, wrapStyled(safeText(p), w, m.st.Danger.Render)...)
	}
	return append(lines, m.st.Muted.Render("Fix the file (e edits it): the dashboard picks it up within two seconds."))
}

// plain renders text as it is, for addWrapped.
func plain(s ...string) string { return strings.Join(s, " ") }

// healthLines draws the connection's recent checks, w cells wide: the
// latency sparkline, the up/down strip and a caption, after the label
// (first line) and the indent (the others). A connection never checked
// gets one line saying why.
func (m *Model) healthLines(r *row, w int, label, indent string) []string {
	tr := &r.trend
	if tr.n == 0 {
		why := "no health checks yet"
		switch {
		case r.conn.CheckURL == "":
			why = "no health checks: no check_url"
		case r.conn.CheckEvery > 0:
			why += " (every " + duration(r.conn.CheckEvery) + ")"
		}
		return []string{label + m.st.Muted.Render(why)}
	}
	gw := max(w-labelW-1, 1)
	muted := m.st.Muted.Render
	// The glyphs leave room for their names (" latency", " up/down").
	glyphs := max(gw-len(" latency"), 1)
	spark := paintRuns(tr.spark, glyphs, m.inks.accent.paint, m.inks.danger.paint)
	strip := paintRuns(tr.strip, glyphs, m.inks.ok.paint, m.inks.danger.paint)
	lines := []string{label + spark + muted(" latency")}
	lines = append(lines, indent+strip+muted(" up/down"))
	for _, l := range wrap(tr.caption(m.loc), gw) {
		lines = append(lines, indent+muted(l))
	}
	return lines
}

// eventTime is an event's time: the time of day when it is today, the date
// too otherwise.
func eventTime(t, now time.Time, loc *time.Location) string {
	t, now = t.In(loc), now.In(loc)
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04:05")
	}
	return t.Format("Jan 02 15:04")
}

// renewalPlan says when the connection renews itself, or why it does not.
func (m *Model) renewalPlan(r *row) string {
	t := r.st.Token
	switch {
	case r.needsPerson():
		return m.st.Danger.Render("needs a person: press l to sign in")
	case t == nil && r.renewable:
		return m.st.Muted.Render("none until the first use fetches a token (r fetches one now)")
	case t == nil:
		return m.st.Muted.Render("none while signed out")
	case !r.renewable:
		return m.st.Muted.Render("not possible without a person (no refresh token)")
	case !t.HasExpiry():
		return m.st.Muted.Render("not needed: no expiry")
	case r.failures > 0 && !r.due.IsZero():
		next := "now"
		if r.due.After(m.clock) {
			next = "in " + duration(r.due.Sub(m.clock))
		}
		return m.st.Warn.Render(fmt.Sprintf("automatic; %d failed, next try %s", r.failures, next))
	case !r.due.IsZero() && r.due.After(m.clock):
		return fmt.Sprintf("automatic, %s before expiry: in %s",
			duration(r.conn.RefreshBefore), duration(r.due.Sub(m.clock)))
	}
	return fmt.Sprintf("automatic, %s before expiry: due now", duration(r.conn.RefreshBefore))
}

// endpointsOf lists the URLs that connection c's flow talks to; its
// health check's is the introspection endpoint's for check = "introspect".
func endpointsOf(c *flows.Connection) []struct{ k, v string } {
	eps := flowEndpoints(c)
	if c.CheckMethod == "introspect" {
		for i := range eps {
			if eps[i].k == "check URL" {
				eps[i] = struct{ k, v string }{"introspect URL", c.IntrospectURL}
			}
		}
	}
	return eps
}

// flowEndpoints lists the URLs that connection c's flow talks to.
func flowEndpoints(c *flows.Connection) []struct{ k, v string } {
	switch c.Flow {
	case flows.APIKey:
		return []struct{ k, v string }{{"check URL", c.CheckURL}}
	case flows.ClientCredentials, flows.Password, flows.TokenExchange:
		return []struct{ k, v string }{{"token URL", c.TokenURL}, {"revoke URL", c.RevokeURL}, {"check URL", c.CheckURL}}
	case flows.DeviceCode:
		return []struct{ k, v string }{{"device URL", c.DeviceURL}, {"token URL", c.TokenURL}, {"revoke URL", c.RevokeURL}, {"check URL", c.CheckURL}}
	case flows.Implicit:
		return []struct{ k, v string }{{"auth URL", c.AuthURL}, {"check URL", c.CheckURL}}
	}
	return []struct{ k, v string }{{"auth URL", c.AuthURL}, {"token URL", c.TokenURL}, {"revoke URL", c.RevokeURL}, {"check URL", c.CheckURL}}
}

// signInLines is the pane of a sign-in that waits for the person.
func (m *Model) signInLines(name string, w int) []string {
	j, p := m.pendingOf(name)
	if p == nil {
		return nil
	}
	var lines []string
	title := m.st.PaneTitle.Render("sign in to " + name)
	hint := func(s string) { lines = append(lines, wrapStyled(s, w, m.st.Muted.Render)...) }
	switch p := p.(type) {
	case flows.BrowserSignIn:
		lines = append(lines, title+m.st.Muted.Render(" · in the browser"))
		if j.opened {
			lines = append(lines, wrap("The browser was opened on the address under this box; sign in there.", w)...)
		} else {
			lines = append(lines, wrap("Open the address under this box in a browser and sign in.", w)...)
		}
		if m.mode == modePaste && m.pasteFor == name {
			lines = append(lines, m.paste.View())
		} else {
			hint("If the browser cannot come back to tokentop, copy the address it ends on and press i to paste it.")
		}
		if j.pasteErr != "" {
			lines = append(lines, wrapStyled("refused: "+j.pasteErr, w, m.st.Danger.Render)...)
		}
		hint("c copies the address · esc cancels the sign-in")
	case flows.DeviceSignIn:
		lines = append(lines, title+m.st.Muted.Render(" · on another device"))
		lines = append(lines, "Enter this code: "+m.st.Code.Render(safeText(p.UserCode())))
		lines = append(lines, "at the address under this box.")
		hint("c copies the code · esc cancels the sign-in")
	case flows.PasswordSignIn:
		lines = append(lines, title+m.st.Muted.Render(" · with a password"))
		lines = append(lines, m.st.Label.Render(fit("username", 10))+safeText(p.Username())+m.st.Muted.Render(" (from the config)"))
		// The connection's note (the demo's passwords are there).
		if r := m.byName[name]; r != nil && r.conn.Note != "" {
			lines = append(lines, wrapStyled("note: "+safeText(r.conn.Note), w, m.st.Muted.Render)...)
		}
		if m.mode == modePassword && m.pwdFor == name {
			lines = append(lines, m.pwd.View())
			hint("enter signs in · esc cancels the sign-in · the password is sent once and not kept")
		} else {
			hint("press l to type the password · esc cancels the sign-in")
		}
		if j.pwdErr != "" {
			lines = append(lines, wrapStyled("refused: "+j.pwdErr, w, m.st.Danger.Render)...)
		}
	}
	return lines
}

// wrapStyled wraps s to w cells and styles each line.
func wrapStyled(s string, w int, render func(...string) string) []string {
	return styled(wrap(s, w), render)
}

// styled styles each line.
func styled(lines []string, render func(...string) string) []string {
	for i, l := range lines {
		lines[i] = render(l)
	}
	return lines
}
