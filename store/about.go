package store

import "context"

// About is what the hub says of itself, as its admins set it: on its
// /about page, in NodeInfo, and its name everywhere. Empty fields are
// unset (the name then is the configured one).
type About struct {
	Name        string
	Description string // short, one paragraph
	Rules       string // multi-line text
	Contact     string // an e-mail address
}

// The settings keys of About.
const (
	settingAboutName        = "about_name"
	settingAboutDescription = "about_description"
	settingAboutRules       = "about_rules"
	settingAboutContact     = "about_contact"
)

// About reads what the hub says of itself.
func (s *Store) About(ctx context.Context) (About, error) {
	var a About
	fields := map[string]*string{
		settingAboutName: &a.Name, settingAboutDescription: &a.Description,
		settingAboutRules: &a.Rules, settingAboutContact: &a.Contact,
	}
	rows, err := s.q.QueryContext(ctx, `SELECT key, value FROM settings WHERE key IN ($1, $2, $3, $4)`,
		settingAboutName, settingAboutDescription, settingAboutRules, settingAboutContact)
	if err != nil {
		return a, err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return a, err
		}
		*fields[k] = v
	}
	return a, rows.Err()
}

// SetAbout replaces what the hub says of itself, all fields at once. The
// caller validates them.
func (s *Store) SetAbout(ctx context.Context, a About) error {
	return s.InTx(ctx, func(tx *Tx) error {
		for k, v := range map[string]string{
			settingAboutName: a.Name, settingAboutDescription: a.Description,
			settingAboutRules: a.Rules, settingAboutContact: a.Contact,
		} {
			if err := tx.SetSetting(ctx, k, v); err != nil {
				return err
			}
		}
		return nil
	})
}
