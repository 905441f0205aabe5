package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/archipel/archipel/accounts"
)

// applyFields are the fields of the application form with their labels.
var applyFields = map[string]string{
	"name":           "Your name",
	"email":          "E-mail address",
	"username":       "Username",
	"channel_handle": "Channel handle",
	"channel_title":  "Channel title",
	"channel_kind":   "Kind",
	"motivation":     "Motivation",
	"links":          "Links",
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
				form.Errors[field] = fieldMessage(applyFields[field], fe.Message)
			}
		}
		log.Info("application refused", "fields", len(fes))
		s.render(w, r, http.StatusUnprocessableEntity, "apply", "Apply for a channel", form)
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
