/* xpay (issue 19): pay an exchange's price difference with Stripe.js.
 *
 * The page works without this script (it says paying needs JavaScript, and offers the way out).
 * With it: the card form appears, the card goes to Stripe (never to our server), the PaymentIntent
 * is confirmed with its client secret, and the browser goes to /returns/{rma}/pay/done, where the
 * server asks Stripe what happened. No inline script or style: the page's CSP forbids them.
 */
(function () {
  "use strict";
  var form = document.getElementById("pay-form");
  var section = document.getElementById("pay-js");
  if (!form || !section || typeof window.Stripe !== "function") {
    return; // Stripe.js did not load: the page's notice and its other choices stay.
  }
  var stripe = window.Stripe(form.getAttribute("data-key"));
  var card = stripe.elements().create("card");
  var button = document.getElementById("pay-button");
  var error = document.getElementById("pay-error");
  var status = document.getElementById("pay-status");
  var notice = document.getElementById("pay-nojs");
  section.hidden = false;
  if (notice) {
    notice.hidden = true;
  }
  card.mount("#card-element");

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    error.textContent = "";
    status.textContent = form.getAttribute("data-working");
    stripe.confirmCardPayment(form.getAttribute("data-secret"), {payment_method: {card: card}})
      .then(function (result) {
        if (result.error || !result.paymentIntent) {
          var message = (result.error && result.error.message) || form.getAttribute("data-failed");
          error.textContent = message;
          status.textContent = "";
          button.disabled = false;
          return;
        }
        var done = form.getAttribute("action") + "?payment_intent=" + encodeURIComponent(result.paymentIntent.id);
        window.location.assign(done);
      }, function () {
        error.textContent = form.getAttribute("data-failed");
        status.textContent = "";
        button.disabled = false;
      });
  });
}());
