package web

import "net/http"

// handleItemUpdate saves an item's edit form. Mistakes show the form again
// with what was typed; a published item's followers are told of the change
// (library.Update sends the Update).
func (s *server) handleItemUpdate(w http.ResponseWriter, r *http.Request) {
	user, item := s.manageItem(w, r)
	if item == nil || !s.editable(w, r, item) {
		return
	}
	form := newItemForm(s.tr(r), item)
	form.Title = r.PostFormValue("title")
	form.Description = r.PostFormValue("description")
	form.Tags = r.PostFormValue("tags")
	form.Sensitive = r.PostFormValue("sensitive") != ""
	form.CommentsPolicy = r.PostFormValue("comments_policy")
	form.Season, form.Episode = r.PostFormValue("season"), r.PostFormValue("episode")
	form.EpisodeType, form.Chapters = r.PostFormValue("episode_type"), r.PostFormValue("chapters")
	edit := form.validate()
	if len(form.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "item_edit", s.tr(r).T("item_edit.title", item.Title), form)
		return
	}
	err := s.library.Update(r.Context(), item, edit)
	if isNotFound(err) { // deleted meanwhile
		s.renderItemNotFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.state(r).logger.Info("item edited", "item", item.PublicID, "user", user.Username)
	http.Redirect(w, r, "/i/"+item.PublicID, http.StatusSeeOther)
}
