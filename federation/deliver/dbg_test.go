package deliver_test
import ("testing";"context";"time";"bytes";"net/http";"io";"slices";"github.com/archipel/archipel/federation/deliver")
func TestDbgFanout(t *testing.T){
 a:=newActor(t); f:=startFarm(t,a,3000,nil); body:=createBody()
 for rep:=0; rep<3; rep++ {
 for _, gated := range []bool{true,false} {
  tr:=&http.Transport{MaxIdleConns:0, MaxIdleConnsPerHost:8, IdleConnTimeout:90*time.Second}
  hc:=&http.Client{Transport:tr}
  var s deliver.RequestSigner = a.signer
  if gated { s = deliver.NewGate(0).Signer(a.signer) }
  send:=func(ctx context.Context, inbox string)(int,http.Header,error){
    req,_:=http.NewRequestWithContext(ctx,"POST",inbox,bytes.NewReader(body))
    if err:=s.SignRequest(req,body); err!=nil {return 0,nil,err}
    resp,err:=hc.Do(req); if err!=nil {return 0,nil,err}
    io.Copy(io.Discard,resp.Body); resp.Body.Close(); return resp.StatusCode,resp.Header,nil }
  e:=&deliver.Engine{Send:send}
  st:=time.Now()
  var first time.Duration
  res:=e.Deliver(context.Background(),f.Inboxes(),func(r deliver.Result){ if first==0 {first=time.Since(st)} })
  el:=time.Since(st)
  n:=0; var took []time.Duration
  for _,r:=range res{ took=append(took,r.Took); if r.Outcome!=deliver.Delivered { n++}}
  slices.Sort(took)
  t.Logf("gated=%v took %v failed %d first %v p50 %v p99 %v", gated, el, n, first, took[1500], took[2970])
  tr.CloseIdleConnections()
 }}
}
