package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/archipel/archipel/accounts"
)

// applyFields are the fields of the application form with the catalogue
// keys of their labels.
var applyFields = map[string]string{
	"name":           "field.your_name",
	"email":          "field.email",
	"username":       "field.username",
	"channel_handle": "field.channel_handle",
	"channel_title":  "field.channel_title",
	"channel_kind":   "field.kind",
	"motivation":     "field.motivation",
	"links":          "field.links",
}

// handleApplySubmit records an application and sends the applicant to its
// private status page, whose address is the only way back to it.
func (s *server) handleApplySubmit(w http.ResponseWriter, r *http.Request) {
	in := accounts.ApplicationInput{
		Name:          r.PostFormValue("name"),
		Email:         r.PostFormValue("email"),
		Username:      r.PostFormValue("username"),
		ChannelHandle: r.PostFormValue("channel_handle"),
		ChannelTitle:  r.PostFormValue("channel_title"),
		ChannelKind:   r.PostFormValue("channel_kind"),
		Motivation:    r.PostFormValue("motivation"),
		Links:         r.PostFormValue("links"),
	}
	log := s.state(r).logger
	applied, err := s.accounts.Apply(r.Context(), in)
	var fes accounts.FieldErrors
	if errors.As(err, &fes) {
		form := newApplyForm(in)
		for _, fe := range fes {
			field := fe.Field
			if _, known := applyFields[field]; !known {
				field = ""
			}
			if _, seen := form.Errors[field]; !seen {
				form.Errors[field] = s.tr(r).fieldError(fieldLabel(s.tr(r), applyFields[field]), fe.Message)
			}
		}
		log.Info("application refused", "fields", len(fes))
		s.render(w, r, http.StatusUnprocessableEntity, "apply", s.tr(r).T("apply.heading"), form)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	a := applied.Application
	log.Info("application received", "application", a.ID, "username", a.Username, "channel", a.ChannelHandle)
	if applied.AutoDomain != "" {
		if applied.AutoErr != nil {
			log.Warn("automatic approval failed: the application waits for a curator",
				"application", a.ID, "domain", applied.AutoDomain, "error", applied.AutoErr)
		} else {
			log.Info("application approved", "application", a.ID, "by", a.DecidedBy, "user", a.Username, "channel", a.ChannelHandle)
		}
	}
	http.Redirect(w, r, "/apply/status?new=1&t="+url.QueryEscape(applied.Token), http.StatusSeeOther)
}
