package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/archipel/archipel/federation/ap"
	"github.com/archipel/archipel/store"
)

// The item events below implement library.Events. Create and Update need
// the item's files, which the calling transaction may not have committed
// yet, so they record an outbox row without a body and queue its delivery
// job: that job writes the body once the item is visible, then fans out.

// ItemPublished queues the channel's Create of the item.
func (s *Service) ItemPublished(ctx context.Context, tx *store.Tx, itemID int64) error {
	return s.queueItemActivity(ctx, tx, itemID, "Create")
}

// ItemUpdated queues the channel's Update of the item.
func (s *Service) ItemUpdated(ctx context.Context, tx *store.Tx, item *store.Item) error {
	if item.OriginURI != "" {
		return nil
	}
	return s.queueItemActivity(ctx, tx, item.ID, "Update")
}

func (s *Service) queueItemActivity(ctx context.Context, tx *store.Tx, itemID int64, verb string) error {
	actorID, err := tx.ChannelActorOfItem(ctx, itemID)
	if err != nil {
		return err
	}
	id, err := tx.InsertOutboxActivity(ctx, store.OutboxActivity{ActorID: actorID, Type: verb, ItemID: itemID, Public: true},
		func(int64) (string, error) { return "", nil })
	if err != nil {
		return err
	}
	return s.queueDelivery(ctx, tx, id)
}

// ItemDeleting records a Tombstone for the item, sends the channel's
// Delete, and returns the pending deliveries of its Create and Updates for
// the caller to cancel.
func (s *Service) ItemDeleting(ctx context.Context, tx *store.Tx, item *store.Item) ([]int64, error) {
	if item.OriginURI != "" {
		return nil, nil
	}
	pending, err := tx.DeliveryJobsOfItem(ctx, item.ID)
	if err != nil {
		return nil, err
	}
	if item.PublishedAt == nil {
		return pending, nil // never federated
	}
	uri := s.ItemURI(item.PublicID)
	former := "Video"
	if item.Kind == store.ItemEpisode {
		former = "Audio"
	}
	if err := tx.AddTombstone(ctx, uri, former); err != nil {
		return nil, err
	}
	actorID, err := tx.ChannelActorOfItem(ctx, item.ID)
	if err != nil {
		return nil, err
	}
	channel := s.ChannelURI(item.ChannelHandle)
	now := s.now().UTC()
	id, err := tx.InsertOutboxActivity(ctx, store.OutboxActivity{ActorID: actorID, Type: "Delete", ObjectURI: uri, Public: true},
		func(id int64) (string, error) {
			obj, err := ap.Embed(ap.Object{ID: uri, Type: "Tombstone", FormerType: former, Deleted: &now})
			if err != nil {
				return "", err
			}
			return marshal(ap.Activity{Context: ap.DefaultContext(), ID: s.ActivityURI(id), Type: "Delete",
				Actor: ap.Ref{ID: channel}, Object: obj, To: ap.IRIs{ap.Public}, Cc: ap.IRIs{channel + "/followers"}, Published: &now})
		})
	if err != nil {
		return nil, err
	}
	return pending, s.queueDelivery(ctx, tx, id)
}

// queueDelivery inserts the fan-out job of an outbox activity and records
// it so that it can be cancelled.
func (s *Service) queueDelivery(ctx context.Context, tx *store.Tx, activityID int64) error {
	q, err := s.jobs()
	if err != nil {
		return err
	}
	jobID, err := q.InsertTx(ctx, tx, DeliverArgs{ActivityID: activityID}, nil)
	if err != nil {
		return err
	}
	return tx.AddDeliveryJob(ctx, jobID, activityID, "")
}

// buildItemActivity writes the body of a Create or Update of an item, now
// that the item is committed. It returns "" when the item is gone.
func (s *Service) buildItemActivity(ctx context.Context, act *store.OutboxActivity) (string, error) {
	if act.ItemID == 0 {
		return "", nil
	}
	item, err := s.store.ItemByID(ctx, act.ItemID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if item.State != store.StatePublished {
		return "", nil
	}
	obj, err := s.ItemObject(ctx, item)
	if err != nil {
		return "", err
	}
	return s.writeActivityBody(ctx, act, s.ChannelURI(item.ChannelHandle), obj)
}

// writeActivityBody writes and records the body of an outbox activity
// (Create or Update) of obj by actorURI, addressed as obj is.
func (s *Service) writeActivityBody(ctx context.Context, act *store.OutboxActivity, actorURI string, obj *ap.Object) (string, error) {
	obj.Context = nil
	ref, err := ap.Embed(obj)
	if err != nil {
		return "", err
	}
	published := act.CreatedAt.UTC()
	body, err := marshal(ap.Activity{Context: ap.DefaultContext(), ID: s.ActivityURI(act.ID), Type: act.Type,
		Actor: ap.Ref{ID: actorURI}, Object: ref, To: obj.To, Cc: obj.Cc, Published: &published})
	if err != nil {
		return "", err
	}
	return body, s.store.SetOutboxBody(ctx, act.ID, obj.ID, body)
}

// SetFollowState accepts or rejects a pending follow of a local actor (the
// creator's decision when the channel approves followers by hand) and
// sends Accept or Reject.
func (s *Service) SetFollowState(ctx context.Context, f *store.Follow, accept bool) error {
	target, err := s.store.ActorByID(ctx, f.TargetID)
	if err != nil {
		return err
	}
	state := store.FollowRejected
	if accept {
		state = store.FollowAccepted
	}
	if err := s.store.SetFollowState(ctx, f.ID, state); err != nil {
		return err
	}
	if !accept {
		if _, err := s.store.DeleteFollow(ctx, f.Follower.ID, f.TargetID); err != nil {
			return err
		}
	}
	return s.answerFollow(ctx, target, f, accept)
}

// answerFollow sends Accept or Reject of a follow to the follower only.
func (s *Service) answerFollow(ctx context.Context, target *store.Actor, f *store.Follow, accept bool) error {
	verb := "Reject"
	if accept {
		verb = "Accept"
	}
	targetURI := s.ActorURI(target)
	follower := s.ActorURI(f.Follower)
	inbox := f.Follower.Inbox
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		id, err := tx.InsertOutboxActivity(ctx, store.OutboxActivity{ActorID: target.ID, Type: verb, ObjectURI: f.ActivityURI, Public: false},
			func(id int64) (string, error) {
				follow, err := ap.Embed(ap.Activity{ID: f.ActivityURI, Type: "Follow", Actor: ap.Ref{ID: follower}, Object: ap.Ref{ID: targetURI}})
				if err != nil {
					return "", err
				}
				return marshal(ap.Activity{Context: ap.DefaultContext(), ID: s.ActivityURI(id), Type: verb,
					Actor: ap.Ref{ID: targetURI}, Object: follow, To: ap.IRIs{follower}})
			})
		if err != nil {
			return err
		}
		q, err := s.jobs()
		if err != nil {
			return err
		}
		jobID, err := q.InsertTx(ctx, tx, DeliverArgs{ActivityID: id, Inbox: inbox}, nil)
		if err != nil {
			return err
		}
		return tx.AddDeliveryJob(ctx, jobID, id, inbox)
	})
}

func marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode an activity: %w", err)
	}
	return string(b), nil
}

var _ river.JobArgs = DeliverArgs{}

// deliveryTimeout bounds one delivery job: a fan-out to thousands of hosts
// with some hanging takes minutes, not hours.
const deliveryTimeout = 30 * time.Minute

// ActorUpdated tells the followers of a local actor that its profile
// changed (name, summary, whether it approves followers by hand), with an
// Update carrying the new document.
func (s *Service) ActorUpdated(ctx context.Context, actorID int64) error {
	a, err := s.store.ActorByID(ctx, actorID)
	if err != nil {
		return err
	}
	doc, err := s.LocalActorDocument(ctx, a.Kind, a.Username)
	if err != nil {
		return err
	}
	doc.Context = nil
	ref, err := ap.Embed(doc)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		id, err := tx.InsertOutboxActivity(ctx, store.OutboxActivity{ActorID: a.ID, Type: "Update", ObjectURI: doc.ID, Public: true},
			func(id int64) (string, error) {
				return marshal(ap.Activity{Context: ap.DefaultContext(), ID: s.ActivityURI(id), Type: "Update",
					Actor: ap.Ref{ID: doc.ID}, Object: ref, To: ap.IRIs{ap.Public}, Cc: ap.IRIs{doc.Followers}, Published: &now})
			})
		if err != nil {
			return err
		}
		return s.queueDelivery(ctx, tx, id)
	})
}
