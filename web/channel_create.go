package web

import (
	"errors"
	"net/http"
	"strings"
	"unicode"

	"github.com/archipel/archipel/accounts"
)

// channelFields are the fields of the new-channel form with the
// catalogue keys of their labels.
var channelFields = map[string]string{
	"handle":      "field.handle",
	"kind":        "field.kind",
	"title":       "field.title",
	"description": "field.description",
	"language":    "field.language",
}

// handleChannelCreate creates a channel owned by the signed-in person.
func (s *server) handleChannelCreate(w http.ResponseWriter, r *http.Request) {
	user, ok := s.requireChannelCreator(w, r)
	if !ok {
		return
	}
	in := accounts.ChannelInput{
		Handle:      r.PostFormValue("handle"),
		Kind:        r.PostFormValue("kind"),
		Title:       r.PostFormValue("title"),
		Description: r.PostFormValue("description"),
		Language:    r.PostFormValue("language"),
	}
	c, err := s.accounts.CreateChannel(r.Context(), user, in)
	var fe *accounts.FieldError
	if errors.As(err, &fe) {
		form := newChannelForm(in)
		field := fe.Field
		if _, known := channelFields[field]; !known {
			field = ""
		}
		form.Errors[field] = s.tr(r).fieldError(fieldLabel(s.tr(r), channelFields[field]), fe.Message)
		s.render(w, r, http.StatusUnprocessableEntity, "channel_new", s.tr(r).T("channel_new.heading"), form)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.state(r).logger.Info("channel created", "channel", c.Handle, "kind", c.Kind, "user", user.Username)
	http.Redirect(w, r, "/c/"+c.Handle, http.StatusSeeOther)
}

// fieldLabel is the label of labelKey, "" for none.
func fieldLabel(tr *catalog, labelKey string) string {
	if labelKey == "" {
		return ""
	}
	return tr.T(labelKey)
}

// fieldMessage makes a sentence of a field label and a FieldError message
// ("is required" → "Handle is required.").
func fieldMessage(label, msg string) string {
	if label != "" {
		msg = label + " " + msg
	}
	if msg != "" && !strings.ContainsRune(".!?", rune(msg[len(msg)-1])) {
		msg += "."
	}
	r := []rune(msg)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}
