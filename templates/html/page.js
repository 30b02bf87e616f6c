// --reveal: each button shows (or hides again) the results of its step.
document.querySelectorAll("button.reveal").forEach(function (button) {
  button.addEventListener("click", function () {
    var step = button.closest(".revealable");
    var concealed = step.classList.toggle("concealed");
    button.setAttribute("aria-expanded", concealed ? "false" : "true");
    button.textContent = concealed ? button.dataset.show : button.dataset.hide;
  });
});
