from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms


class PdfForm(forms.Form):
    name = forms.CharField(label="Name on the page", initial="Ada", max_length=40)
    copies = forms.IntegerField(label="Pages", initial=2, min_value=1, max_value=5)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_action = "/pdf"
        self.helper.add_input(Submit("submit", "Make the PDF"))
